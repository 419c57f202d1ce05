/**
 * A per-sector presence bitmap of one block of a differencing disk: which sectors this layer
 * holds and which come from the parent. VHDX numbers bits from the least significant bit of each
 * byte, VHD from the most significant.
 */
export interface SectorBitmap {
  bits: Buffer;
  msbFirst: boolean;
  sectorSize: number;
}

export interface SectorRun {
  start: number;
  end: number;
  present: boolean;
}

function bit(bitmap: SectorBitmap, sector: number): boolean {
  const byte = bitmap.bits[sector >> 3] ?? 0;
  const shift = bitmap.msbFirst ? 7 - (sector & 7) : sector & 7;
  return ((byte >> shift) & 1) === 1;
}

/** Maximal runs of equally present sectors over sectors [from, to). */
export function* sectorRuns(bitmap: SectorBitmap, from: number, to: number): Generator<SectorRun> {
  let runStart = from;
  let present = from < to && bit(bitmap, from);
  let sector = from;
  while (sector < to) {
    // Whole bytes of one value are skipped eight sectors at a time: bitmaps are mostly uniform.
    const byte = bitmap.bits[sector >> 3] ?? 0;
    if ((sector & 7) === 0 && sector + 8 <= to && byte === (present ? 0xff : 0x00)) {
      sector += 8;
      continue;
    }
    if (bit(bitmap, sector) !== present) {
      yield { start: runStart, end: sector, present };
      runStart = sector;
      present = !present;
    }
    sector++;
  }
  if (runStart < to) yield { start: runStart, end: to, present };
}

/** True when every sector in [0, sectors) is present: the block can be read as one piece. */
export function allPresent(bitmap: SectorBitmap, sectors: number): boolean {
  const run = sectorRuns(bitmap, 0, sectors).next();
  return !run.done && run.value.present && run.value.end === sectors;
}

/** True when no sector in [0, sectors) is present: the whole block comes from the parent. */
export function nonePresent(bitmap: SectorBitmap, sectors: number): boolean {
  const run = sectorRuns(bitmap, 0, sectors).next();
  return !run.done && !run.value.present && run.value.end === sectors;
}
