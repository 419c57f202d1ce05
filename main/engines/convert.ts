/**
 * Converts a disk image from any readable format to any writable one (migrations): only the
 * extents the source says hold data are read, all-zero pieces are skipped, so holes stay holes.
 */
import type { DiskImageReader, WriteFormat } from "../formats/disk-image.js";
import { createDiskImageWriter } from "../formats/writers.js";
import { ProgressMeter, type ProgressListener } from "./progress.js";

const PIECE = 1024 * 1024;
const ZEROS = Buffer.alloc(PIECE);

export async function convertImage(
  reader: DiskImageReader,
  target: string,
  format: WriteFormat,
  onProgress?: ProgressListener,
): Promise<{ bytesRead: number; bytesWritten: number }> {
  const writer = await createDiskImageWriter(format, target, reader.virtualSize);
  const meter = new ProgressMeter("restore", reader.virtualSize, onProgress);
  let bytesWritten = 0;
  try {
    for await (const extent of reader.allocation()) {
      if (extent.kind === "data") {
        for (let at = extent.offset; at < extent.offset + extent.length; at += PIECE) {
          const piece = Buffer.allocUnsafe(Math.min(PIECE, extent.offset + extent.length - at));
          await reader.read(at, piece);
          meter.bytesRead += piece.length;
          if (!piece.equals(ZEROS.subarray(0, piece.length))) {
            await writer.write(at, piece);
            bytesWritten += piece.length;
          }
          meter.bytesDone += piece.length;
          meter.tick();
        }
      } else {
        meter.bytesDone += extent.length;
      }
    }
    await writer.finish();
    meter.finish();
    return { bytesRead: meter.bytesRead, bytesWritten };
  } catch (err) {
    await writer.abort();
    throw err;
  }
}
