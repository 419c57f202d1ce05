/**
 * The exFAT main boot sector (exFAT file system specification, section 3.1), validated against the
 * size of the file that holds the volume, so that every later offset we compute stays inside it.
 */
import { SnapferryError } from "../../common/errors.js";

export interface ExfatGeometry {
  bytesPerSector: number;
  clusterSize: number;
  /** Byte offset of the active FAT. */
  fatOffset: number;
  /** Bytes in one FAT. */
  fatBytes: number;
  /** Byte offset of cluster 2. */
  heapOffset: number;
  clusterCount: number;
  rootCluster: number;
  /** Bytes the volume claims. */
  volumeBytes: number;
}

const SIGNATURE = "EXFAT   ";
const HINT =
  "The partition does not hold a readable exFAT file system (damaged or not exFAT); restore the whole disk instead.";

export function bad(message: string): SnapferryError {
  return new SnapferryError("image-format", `exFAT: ${message}`, HINT);
}

/** True when the first sector names itself exFAT (cheap, before any validation). */
export function looksLikeExfat(head: Buffer): boolean {
  return head.length >= 11 && head.toString("latin1", 3, 11) === SIGNATURE;
}

function field(name: string, value: number, min: number, max: number): number {
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw bad(`boot sector field ${name} is ${value}, outside ${min}..${max}`);
  }
  return value;
}

/** Parses and checks the boot sector in `head` (at least 512 bytes) for a volume file of `fileSize` bytes. */
export function parseBootSector(head: Buffer, fileSize: number): ExfatGeometry {
  if (head.length < 512) throw bad(`boot sector is truncated (${head.length} of 512 bytes)`);
  if (!looksLikeExfat(head)) throw bad('boot sector does not carry the "EXFAT   " signature');
  if (head.readUInt16LE(510) !== 0xaa55) throw bad("boot sector signature 0xAA55 is missing");
  const sectorShift = field("BytesPerSectorShift", head.readUInt8(108), 9, 12);
  const clusterShift = field("SectorsPerClusterShift", head.readUInt8(109), 0, 25 - sectorShift);
  const bytesPerSector = 2 ** sectorShift;
  const fileSectors = Math.floor(fileSize / bytesPerSector);
  const volumeLength = Number(head.readBigUInt64LE(72));
  field("VolumeLength", volumeLength, 2 ** (20 - sectorShift), fileSectors);
  const fats = field("NumberOfFats", head.readUInt8(110), 1, 2);
  const fatOffset = field("FatOffset", head.readUInt32LE(80), 24, volumeLength);
  const fatLength = field("FatLength", head.readUInt32LE(84), 1, volumeLength - fatOffset);
  const heapOffset = field(
    "ClusterHeapOffset",
    head.readUInt32LE(88),
    fatOffset + fatLength * fats,
    volumeLength,
  );
  const maxClusters = Math.min(
    Math.floor((volumeLength - heapOffset) / 2 ** clusterShift),
    Math.floor((fatLength * bytesPerSector) / 4) - 2,
    0xfffffff5,
  );
  const clusterCount = field("ClusterCount", head.readUInt32LE(92), 1, maxClusters);
  const rootCluster = field("FirstClusterOfRootDirectory", head.readUInt32LE(96), 2, clusterCount + 1);
  // VolumeFlags bit 0 (ActiveFat) picks the second FAT when there are two.
  const second = fats === 2 && (head.readUInt16LE(106) & 1) === 1;
  return {
    bytesPerSector,
    clusterSize: bytesPerSector * 2 ** clusterShift,
    fatOffset: (fatOffset + (second ? fatLength : 0)) * bytesPerSector,
    fatBytes: fatLength * bytesPerSector,
    heapOffset: heapOffset * bytesPerSector,
    clusterCount,
    rootCluster,
    volumeBytes: volumeLength * bytesPerSector,
  };
}
