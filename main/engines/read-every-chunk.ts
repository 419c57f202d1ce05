/**
 * The first half of verifying a restore point: read back every stored chunk of a disk through
 * the same path a restore takes (pack read, decryption, decompression, id recomputed). Unlike a
 * restore it does not stop at the first damaged chunk: the report names every damaged offset, up
 * to a limit, so that the user knows how much of the disk is affected.
 */
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import type { ProgressMeter } from "./progress.js";
import type { StoredDisk } from "./stored-disk.js";
import { TaskWindow } from "./task-window.js";

export interface ChunkReadReport {
  bytesRead: number;
  /** "disk 0 (sda) of restore point 1a2b3c4d at offset 1048576: chunk … is damaged", in offset order. */
  problems: string[];
  /** More damaged chunks than `problems` lists. */
  moreProblems: number;
}

const MAX_LISTED = 20;

export async function readEveryChunk(
  disk: StoredDisk,
  meter: ProgressMeter,
  signal?: AbortSignal,
): Promise<ChunkReadReport> {
  const report: ChunkReadReport = { bytesRead: 0, problems: [], moreProblems: 0 };
  const found: { offset: number; message: string }[] = [];
  const window = new TaskWindow(4);
  for (const extent of await disk.extents()) {
    if (!extent.data) {
      meter.bytesDone += extent.length;
      continue;
    }
    for (let at = extent.offset; at < extent.offset + extent.length; at += disk.chunkSize) {
      if (signal?.aborted) throw new SnapferryError("cancelled", "the verification was cancelled");
      const offset = at;
      const length = Math.min(disk.chunkSize, extent.offset + extent.length - at);
      await window.run(async () => {
        try {
          await disk.read(offset, length);
          report.bytesRead += length;
        } catch (err) {
          if (!(err instanceof CorruptDataError)) throw err;
          found.push({ offset, message: err.message });
        }
        meter.bytesDone += length;
        meter.tick();
      });
    }
  }
  await window.drain();
  found.sort((a, b) => a.offset - b.offset);
  report.problems = found.slice(0, MAX_LISTED).map((f) => f.message);
  report.moreProblems = Math.max(0, found.length - MAX_LISTED);
  return report;
}
