/**
 * Cuts a writer's incoming writes (any length, increasing offsets) into the fixed-size aligned
 * units a sparse format allocates (qcow2 clusters, VMDK grains). A unit that is only partly
 * written is zero-padded; a unit that is all zeros is never emitted, so it stays unallocated.
 */
import { isAllZero } from "./zero-runs.js";

/**
 * Receives unit `index` (its disk offset is index × unit size). The buffer is only valid until
 * the returned promise resolves, unless the receiver copies it.
 */
export type UnitSink = (index: number, unit: Buffer) => Promise<void>;

export class ClusterSplitter {
  /** The unit being assembled from several writes; only ever holds non-zero data. */
  private pending: Buffer | undefined;
  private pendingIndex = -1;

  constructor(
    private readonly unitSize: number,
    private readonly sink: UnitSink,
  ) {}

  /** Takes a write; the caller has already checked its order (WriteCursor). */
  async write(offset: number, data: Buffer): Promise<void> {
    const end = offset + data.length;
    let at = offset;
    while (at < end) {
      const index = Math.floor(at / this.unitSize);
      const within = at - index * this.unitSize;
      const length = Math.min(this.unitSize - within, end - at);
      const piece = data.subarray(at - offset, at - offset + length);
      if (this.pending && this.pendingIndex !== index) await this.flush();
      if (length === this.unitSize) {
        if (!isAllZero(piece)) await this.sink(index, piece);
      } else {
        this.addToPending(index, within, piece);
        if (within + length === this.unitSize) await this.flush();
      }
      at += length;
    }
  }

  /** Emits the unit still being assembled (the disk's last, partial one, or one a gap ended). */
  async flush(): Promise<void> {
    const unit = this.pending;
    if (!unit) return;
    this.pending = undefined;
    await this.sink(this.pendingIndex, unit);
  }

  private addToPending(index: number, within: number, piece: Buffer): void {
    if (isAllZero(piece)) return;
    if (!this.pending) {
      this.pending = Buffer.alloc(this.unitSize);
      this.pendingIndex = index;
    }
    piece.copy(this.pending, within);
  }
}
