/**
 * QueryChangedDiskAreas answers (DiskChangeInfo) from block hashes. Each answer covers at most a
 * window of the disk and a number of areas, and says in `length` how far it got, so a client has to
 * loop on startOffset + length as it must against ESXi, where one call never covers a large disk.
 */
import { BLOCK_SIZE, blockDiffers, isAllocated, type BlockHashes } from "./block-copy.js";

export interface DiskChangeExtent {
  start: number;
  length: number;
}

export interface DiskChangeInfo {
  startOffset: number;
  length: number;
  changedArea: DiskChangeExtent[];
}

export interface AnswerLimits {
  maxAreas: number;
  windowBytes: number;
}

/** `since` "allocated" is changeId "*": every block holding data counts as changed. */
export function changedAreas(
  target: BlockHashes,
  since: BlockHashes | "allocated",
  startOffset: number,
  limits: AnswerLimits,
): DiskChangeInfo {
  const end = Math.min(target.size, startOffset + Math.max(BLOCK_SIZE, limits.windowBytes));
  const changed = (block: number): boolean =>
    since === "allocated" ? isAllocated(target, block) : blockDiffers(target, since, block);

  const areas: DiskChangeExtent[] = [];
  let coveredTo = end;
  let block = Math.floor(startOffset / BLOCK_SIZE);
  while (block * BLOCK_SIZE < end) {
    if (!changed(block)) {
      block++;
      continue;
    }
    const areaStart = Math.max(startOffset, block * BLOCK_SIZE);
    if (areas.length >= limits.maxAreas) {
      coveredTo = areaStart;
      break;
    }
    while (block * BLOCK_SIZE < end && changed(block)) block++;
    const areaEnd = Math.min(end, block * BLOCK_SIZE);
    areas.push({ start: areaStart, length: areaEnd - areaStart });
  }
  return { startOffset, length: coveredTo - startOffset, changedArea: areas };
}

export function diskChangeInfoXml(info: DiskChangeInfo): string {
  const areas = info.changedArea
    .map((a) => `<changedArea><start>${a.start}</start><length>${a.length}</length></changedArea>`)
    .join("");
  return `<returnval><startOffset>${info.startOffset}</startOffset><length>${info.length}</length>${areas}</returnval>`;
}
