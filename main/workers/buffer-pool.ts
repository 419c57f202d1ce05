/**
 * Recycles chunk buffers (a chunk as read, as stored, as decoded). Each buffer travels to a
 * worker and back (transferred, not copied) and is then reused, so a backup or a restore
 * allocates a fixed set of buffers instead of some per chunk.
 */
import { pageAlignedArrayBuffer } from "./aligned-buffer.js";

export class ChunkBufferPool {
  private readonly free: ArrayBuffer[] = [];

  /** `capacity`: the size of every buffer in the pool. */
  constructor(readonly capacity: number) {}

  /** A buffer of `length` bytes (at most the capacity) that owns its whole ArrayBuffer's start. */
  take(length = this.capacity): Buffer {
    const ab = this.free.pop() ?? pageAlignedArrayBuffer(this.capacity);
    return Buffer.from(ab, 0, length);
  }

  /** Returns a buffer that came from `take` (possibly after a round trip through a worker). */
  give(buf: Uint8Array): void {
    if (buf.buffer instanceof ArrayBuffer && buf.buffer.byteLength === this.capacity)
      this.free.push(buf.buffer);
  }
}
