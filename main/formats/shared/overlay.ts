/**
 * The allocation map of a differencing disk: the child says, range by range, "my data", "zeros"
 * or "ask the parent"; the parent's own allocation map fills in the last kind. Both maps are
 * walked once, in order, so a chain of huge disks is never held in memory.
 */
import type { DiskImageReader, Extent } from "../disk-image.js";

export interface OwnExtent {
  offset: number;
  length: number;
  /** `parent`: this layer does not hold the range; it reads as the parent does (zeros if none). */
  kind: "data" | "zero" | "parent";
}

/** Joins touching extents of one kind so callers see few, large extents. */
class Merger {
  private pending: Extent | undefined;

  push(extent: Extent): Extent | undefined {
    if (extent.length <= 0) return undefined;
    const p = this.pending;
    if (p && p.kind === extent.kind && p.offset + p.length === extent.offset) {
      p.length += extent.length;
      return undefined;
    }
    this.pending = { ...extent };
    return p;
  }

  finish(): Extent | undefined {
    const p = this.pending;
    this.pending = undefined;
    return p;
  }
}

/** Walks a parent's allocation map forward, answering for ranges asked in increasing order. */
class ParentCursor {
  private readonly iterator: AsyncIterator<Extent>;
  private current: Extent | undefined;
  private done = false;

  constructor(private readonly parent: DiskImageReader) {
    this.iterator = parent.allocation()[Symbol.asyncIterator]();
  }

  async *range(start: number, end: number): AsyncGenerator<Extent> {
    let at = start;
    const parentEnd = Math.min(end, this.parent.virtualSize);
    while (at < parentEnd) {
      const extent = await this.extentAt(at);
      // A parent whose map leaves a gap or ends early: its bytes there count as data, so they are
      // read rather than assumed to be zero.
      const kind = extent && extent.offset <= at ? extent.kind : "data";
      const stop = extent
        ? Math.min(parentEnd, extent.offset <= at ? extent.offset + extent.length : extent.offset)
        : parentEnd;
      yield { offset: at, length: stop - at, kind };
      at = stop;
    }
    // A child larger than its parent reads zeros past the parent's end.
    if (at < end) yield { offset: at, length: end - at, kind: "zero" };
  }

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
    return this.current;
  }
}

export async function* overlayOnParent(
  own: AsyncIterable<OwnExtent>,
  parent: DiskImageReader | undefined,
): AsyncGenerator<Extent> {
  const merger = new Merger();
  const cursor = parent ? new ParentCursor(parent) : undefined;
  for await (const extent of own) {
    if (extent.kind !== "parent") {
      const out = merger.push({ offset: extent.offset, length: extent.length, kind: extent.kind });
      if (out) yield out;
    } else if (!cursor) {
      const out = merger.push({ offset: extent.offset, length: extent.length, kind: "zero" });
      if (out) yield out;
    } else {
      for await (const piece of cursor.range(extent.offset, extent.offset + extent.length)) {
        const out = merger.push(piece);
        if (out) yield out;
      }
    }
  }
  const last = merger.finish();
  if (last) yield last;
}
