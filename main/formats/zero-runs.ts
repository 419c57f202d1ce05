/**
 * Finding the parts of a buffer that hold data. A writer skips the all-zero parts, so what was a
 * hole on the source stays a hole (unallocated in the image, unwritten in the host file).
 */

const ZEROS = Buffer.alloc(1024 * 1024);

export function isAllZero(data: Uint8Array): boolean {
  for (let at = 0; at < data.length; at += ZEROS.length) {
    const end = Math.min(data.length, at + ZEROS.length);
    if (Buffer.compare(data.subarray(at, end), ZEROS.subarray(0, end - at)) !== 0) return false;
  }
  return true;
}

export interface DataRun {
  offset: number;
  data: Buffer;
}

/**
 * The runs of `data` (which sits at disk offset `offset`) that are not all zeros, judged in
 * pieces aligned to `granularity` on the disk and merged when adjacent.
 */
export function nonZeroRuns(offset: number, data: Buffer, granularity: number): DataRun[] {
  const runs: DataRun[] = [];
  const end = offset + data.length;
  let runStart = -1;
  let at = offset;
  while (at < end) {
    const pieceEnd = Math.min(end, (Math.floor(at / granularity) + 1) * granularity);
    const zero = isAllZero(data.subarray(at - offset, pieceEnd - offset));
    if (!zero && runStart < 0) runStart = at;
    if (zero && runStart >= 0) {
      runs.push({ offset: runStart, data: data.subarray(runStart - offset, at - offset) });
      runStart = -1;
    }
    at = pieceEnd;
  }
  if (runStart >= 0) runs.push({ offset: runStart, data: data.subarray(runStart - offset) });
  return runs;
}
