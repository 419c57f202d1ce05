/**
 * Finalize: turns an instant recovery into a permanent disk. The served device (restore point +
 * overlay) is written in disk order to a file in the chosen format through the restore writers:
 * holes and zeroed runs stay holes, and the file only gets its name once complete. The overlay
 * is left as it is (the user deletes it once happy with the result).
 */
import { SnapferryError, explainIoError } from "../common/errors.js";
import type { WriteFormat } from "../formats/disk-image.js";
import { ProgressMeter, type ProgressListener } from "../engines/progress.js";
import {
  TARGET_FULL_HINT,
  openFormatTarget,
  openRawTarget,
  type RestoreTarget,
} from "../engines/restore-target.js";
import type { NbdExport, Piece } from "./export.js";

export interface FinalizeOptions {
  exp: NbdExport;
  disk: { index: number; name: string };
  target: string;
  format: WriteFormat;
  overwrite: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

/** Read ahead of the writer by one window of this size, so decoding and writing overlap. */
const WINDOW = 8 * 1024 * 1024;

export async function finalizeToFile(options: FinalizeOptions): Promise<void> {
  const { exp } = options;
  const target =
    options.format === "raw"
      ? await openRawTarget(options.target, exp.size, options.overwrite)
      : await openFormatTarget(options.target, exp.size, options.format, options.overwrite);
  const meter = new ProgressMeter("restore", exp.size, options.onProgress);
  meter.startDisk(options.disk.index, options.disk.name, exp.size);
  try {
    let ahead = window(exp, 0);
    for (let at = 0; at < exp.size; at += WINDOW) {
      if (options.signal?.aborted) throw new SnapferryError("cancelled", "the finalize was cancelled");
      const pieces = await ahead;
      if (at + WINDOW < exp.size) ahead = window(exp, at + WINDOW);
      await writePieces(target, pieces);
      meter.bytesDone = Math.min(exp.size, at + WINDOW);
      meter.tick();
    }
    await target.finish();
    meter.finish();
  } catch (err) {
    await target.discard();
    throw explainIoError(err, options.target, TARGET_FULL_HINT);
  }
}

function window(exp: NbdExport, at: number): Promise<Piece[]> {
  const pending = exp.read(at, Math.min(WINDOW, exp.size - at));
  pending.catch(() => undefined); // awaited in turn; a failure must not go unhandled meanwhile
  return pending;
}

async function writePieces(target: RestoreTarget, pieces: Piece[]): Promise<void> {
  for (const p of pieces) {
    // Written data that happens to be all zeros becomes a hole too (a block device gets zeros).
    const data = p.data && !isZero(p.data) ? p.data : target.writeHoles ? Buffer.alloc(p.length) : undefined;
    if (data) await target.write(p.offset, data);
  }
}

const ZEROS = Buffer.alloc(64 * 1024);

function isZero(data: Buffer): boolean {
  for (let i = 0; i < data.length; i += ZEROS.length) {
    const piece = data.subarray(i, i + ZEROS.length);
    if (!piece.equals(ZEROS.subarray(0, piece.length))) return false;
  }
  return true;
}
