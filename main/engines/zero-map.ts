/**
 * Answers "is [start, end) all zero?" from a source's allocation map, for chunks asked in
 * increasing order, pulling extents from the map lazily so a huge disk's map is never held whole.
 */
import type { Extent } from "../formats/disk-image.js";

export class ZeroMap {
  private readonly iterator: AsyncIterator<Extent>;
  private current: Extent | undefined;
  private done = false;

  constructor(extents: AsyncIterable<Extent>) {
    this.iterator = extents[Symbol.asyncIterator]();
  }

  async isZero(start: number, end: number): Promise<boolean> {
    let at = start;
    while (at < end) {
      const extent = await this.extentAt(at);
      if (!extent || extent.kind !== "zero") return false;
      at = extent.offset + extent.length;
    }
    return true;
  }

  /** The extent containing `offset`; extents before it are dropped (offsets only grow). */
  private async extentAt(offset: number): Promise<Extent | undefined> {
    while (!this.done && (!this.current || this.current.offset + this.current.length <= offset)) {
      const next = await this.iterator.next();
      if (next.done) {
        this.done = true;
        this.current = undefined;
      } else {
        this.current = next.value;
      }
    }
    return this.current && this.current.offset <= offset ? this.current : undefined;
  }
}
