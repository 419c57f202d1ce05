/**
 * Converts a disk image from any readable format to any writable one (migrations): only the
 * extents the source says hold data are read, all-zero pieces are skipped, so holes stay holes.
 *
 * Several pieces are read at once while earlier ones are written, in disk order (the writers
 * need it), into a fixed set of reused buffers: reading and writing overlap, and a large disk
 * costs no more memory than a small one. A cancelled or failed conversion removes its partial
 * file; the target appears only complete.
 */
import { CancelledError } from "../common/errors.js";
import type { DiskImageReader, WriteFormat } from "../formats/disk-image.js";
import { createDiskImageWriter } from "../formats/writers.js";
import { ChunkBufferPool } from "../workers/buffer-pool.js";
import { InOrder } from "./in-order.js";
import { ProgressMeter, type ProgressListener } from "./progress.js";
import { TaskWindow } from "./task-window.js";

const PIECE = 1024 * 1024;
/** Pieces read ahead of the writer: enough to keep the disk and the page cache busy. */
const IN_FLIGHT = 8;
const ZEROS = Buffer.alloc(PIECE);

export async function convertImage(
  reader: DiskImageReader,
  target: string,
  format: WriteFormat,
  onProgress?: ProgressListener,
  signal?: AbortSignal,
): Promise<{ bytesRead: number; bytesWritten: number }> {
  const writer = await createDiskImageWriter(format, target, reader.virtualSize);
  const meter = new ProgressMeter("restore", reader.virtualSize, onProgress);
  const window = new TaskWindow(IN_FLIGHT);
  const order = new InOrder();
  const buffers = new ChunkBufferPool(PIECE);
  let bytesWritten = 0;

  const copyPiece = async (at: number, length: number): Promise<void> => {
    const inTurn = order.turn<Buffer>();
    const piece = buffers.take(length);
    try {
      await inTurn(
        reader.read(at, piece).then(() => piece),
        async (data) => {
          meter.bytesRead += data.length;
          if (!data.equals(ZEROS.subarray(0, data.length))) {
            await writer.write(at, data);
            bytesWritten += data.length;
          }
          meter.bytesDone += data.length;
          meter.tick();
        },
      );
    } finally {
      buffers.give(piece);
    }
  };

  try {
    for await (const extent of reader.allocation()) {
      if (extent.kind !== "data") {
        meter.bytesDone += extent.length;
        continue;
      }
      const end = extent.offset + extent.length;
      for (let at = extent.offset; at < end; at += PIECE) {
        if (signal?.aborted)
          throw new CancelledError("the conversion", `Nothing was left behind: ${target} was not written.`);
        const length = Math.min(PIECE, end - at);
        await window.run(() => copyPiece(at, length));
      }
    }
    await window.drain();
    await writer.finish();
    meter.finish();
    return { bytesRead: meter.bytesRead, bytesWritten };
  } catch (err) {
    // Nothing may still be reading or writing when the writer removes its partial file.
    await window.settle();
    await writer.abort();
    throw err;
  }
}
