/**
 * Recycles the buffers that chunks are read into. Each buffer travels to a worker and back
 * (transferred, not copied) and is then reused for another read, so a backup allocates a fixed
 * set of chunk buffers instead of one per chunk.
 */
import { pageAlignedArrayBuffer } from "./aligned-buffer.js";

export class ChunkBufferPool {
  private readonly free: ArrayBuffer[] = [];

  constructor(private readonly chunkSize: number) {}

  /** A buffer of `length` bytes (at most the chunk size) that owns its whole ArrayBuffer's start. */
  take(length: number): Buffer {
    const ab = this.free.pop() ?? pageAlignedArrayBuffer(this.chunkSize);
    return Buffer.from(ab, 0, length);
  }

  /** Returns a buffer that came from `take` (possibly after a round trip through a worker). */
  give(buf: Uint8Array): void {
    if (buf.buffer instanceof ArrayBuffer && buf.buffer.byteLength === this.chunkSize)
      this.free.push(buf.buffer);
  }
}
