/**
 * Materialises one partition of a stored disk as a sparse temporary file for 7-Zip, which reads
 * files, not callbacks. Only the data extents are read and written; holes stay holes (the file
 * is truncated to its full size first), so a mostly empty 100 GiB partition costs only what is
 * used. Reads go through a small window of concurrent pieces so memory stays bounded.
 */
import { open } from "node:fs/promises";
import { CancelledError, explainIoError } from "../common/errors.js";
import type { StoredDisk } from "../engines/stored-disk.js";

const PIECE = 4 * 1024 * 1024;
const IN_FLIGHT = 4;

export interface MaterialiseOptions {
  /** Bytes of data written so far, of the data the partition holds (holes excluded). */
  onProgress?: (done: number, total: number) => void;
  signal?: AbortSignal;
}

export async function materialisePartition(
  disk: StoredDisk,
  range: { start: number; size: number },
  file: string,
  options: MaterialiseOptions = {},
): Promise<void> {
  const extents = (await disk.extents(range.start, range.size)).filter((e) => e.data);
  const pieces: { offset: number; length: number }[] = [];
  for (const e of extents) {
    for (let at = e.offset; at < e.offset + e.length; at += PIECE) {
      pieces.push({ offset: at, length: Math.min(PIECE, e.offset + e.length - at) });
    }
  }
  const total = pieces.reduce((sum, p) => sum + p.length, 0);
  const handle = await open(file, "w", 0o600);
  const inFlight = new Set<Promise<void>>();
  try {
    await handle.truncate(range.size);
    let done = 0;
    for (const piece of pieces) {
      if (options.signal?.aborted) throw new CancelledError("reading the partition");
      const job = disk
        .read(piece.offset, piece.length)
        .then((data) => handle.write(data, 0, data.length, piece.offset - range.start))
        .then(() => {
          done += piece.length;
          options.onProgress?.(done, total);
        });
      const tracked = job.finally(() => inFlight.delete(tracked));
      inFlight.add(tracked);
      if (inFlight.size >= IN_FLIGHT) await Promise.race(inFlight);
    }
    await Promise.all(inFlight);
    options.onProgress?.(total, total);
  } catch (err) {
    // Let the pieces still in flight settle before the handle closes under them.
    await Promise.allSettled(inFlight);
    throw explainIoError(err, file, "Free space there, or choose a folder with more room (--temp-dir DIR).");
  } finally {
    await handle.close();
  }
}
