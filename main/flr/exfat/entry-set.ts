/**
 * exFAT directory entry sets (specification section 6 and 7.4 to 7.7): a File entry (0x85), its
 * Stream Extension (0xC0) and File Name entries (0xC1). Every other entry type (deleted entries,
 * volume label, allocation bitmap, up-case table, GUID, vendor entries) is stepped over.
 */
import { bad } from "./boot-sector.js";

export interface ExfatDirEntry {
  name: string;
  dir: boolean;
  /** ISO 8601 in UTC, or null when the timestamp is not a valid date. */
  mtime: string | null;
  firstCluster: number;
  /** Bytes of the allocation; for folders the size of the directory stream. */
  dataLength: number;
  /** Bytes actually written; the rest of dataLength reads as zeros. */
  validDataLength: number;
  /** The clusters are contiguous and the FAT does not describe them. */
  noFatChain: boolean;
}

const ENTRY = 32;
const FILE = 0x85;
const STREAM = 0xc0;
const NAME = 0xc1;
const DIRECTORY_ATTRIBUTE = 0x10;

/** The entry sets in one directory's bytes, up to the end-of-directory marker. */
export function parseDirectory(data: Buffer, where: string): ExfatDirEntry[] {
  const out: ExfatDirEntry[] = [];
  for (let at = 0; at + ENTRY <= data.length;) {
    const type = data.readUInt8(at);
    if (type === 0x00) break;
    if (type === FILE) {
      const secondaries = data.readUInt8(at + 1);
      out.push(parseEntrySet(data, at, where));
      at += (secondaries + 1) * ENTRY;
    } else if (type >= 0xa0 && type <= 0xbf) {
      // Benign primaries (GUID, vendor) carry their own secondaries, which are not ours to read.
      at += (data.readUInt8(at + 1) + 1) * ENTRY;
    } else {
      at += ENTRY;
    }
  }
  return out;
}

/** One File entry set starting at `at`: checks its shape and checksum, then decodes it. */
export function parseEntrySet(data: Buffer, at: number, where: string): ExfatDirEntry {
  const secondaries = data.readUInt8(at + 1);
  if (secondaries < 2 || secondaries > 18) {
    throw bad(`a file entry in ${where} has ${secondaries} secondary entries (must be 2..18)`);
  }
  const end = at + (secondaries + 1) * ENTRY;
  if (end > data.length) throw bad(`a file entry set in ${where} runs past the end of its directory`);
  const set = data.subarray(at, end);
  if (checksum(set) !== set.readUInt16LE(2)) throw bad(`a file entry set in ${where} has a wrong checksum`);
  if (set.readUInt8(ENTRY) !== STREAM) {
    throw bad(`a file entry in ${where} is not followed by a stream extension entry`);
  }
  const stream = set.subarray(ENTRY, 2 * ENTRY);
  const nameLength = stream.readUInt8(3);
  const nameEntries = Math.ceil(nameLength / 15);
  if (nameLength === 0 || nameEntries > secondaries - 1) {
    throw bad(`a file entry in ${where} has a name length of ${nameLength} in ${secondaries - 1} entries`);
  }
  const units: number[] = [];
  for (let i = 0; i < nameEntries; i++) {
    const e = set.subarray((2 + i) * ENTRY, (3 + i) * ENTRY);
    if (e.readUInt8(0) !== NAME) throw bad(`a file name entry in ${where} is missing`);
    for (let c = 0; c < 15 && units.length < nameLength; c++) units.push(e.readUInt16LE(2 + c * 2));
  }
  const dataLength = Number(stream.readBigUInt64LE(24));
  const validDataLength = Number(stream.readBigUInt64LE(8));
  const name = String.fromCharCode(...units);
  if (validDataLength > dataLength) {
    throw bad(`"${name}" in ${where} has more valid data (${validDataLength}) than data (${dataLength})`);
  }
  return {
    name,
    dir: (set.readUInt16LE(4) & DIRECTORY_ATTRIBUTE) !== 0,
    mtime: timestamp(set.readUInt32LE(12), set.readUInt8(21), set.readUInt8(23)),
    firstCluster: stream.readUInt32LE(20),
    dataLength,
    validDataLength,
    noFatChain: (stream.readUInt8(1) & 2) !== 0,
  };
}

/** The EntrySetChecksum of section 6.3.3: every byte but the checksum field itself. */
export function checksum(set: Buffer): number {
  let sum = 0;
  for (let i = 0; i < set.length; i++) {
    if (i === 2 || i === 3) continue;
    sum = (((sum & 1) << 15) | (sum >>> 1)) + (set[i] ?? 0);
    sum &= 0xffff;
  }
  return sum;
}

/**
 * A timestamp (section 7.4.8): local time in DOS fields, 10 ms increments (0..199) on top of its
 * 2-second resolution, and an optional UTC offset in 15-minute steps. Without a valid offset the
 * local time is taken as UTC, which is what Linux's exFAT drivers write.
 */
export function timestamp(value: number, tenMs: number, utcOffset: number): string | null {
  const year = 1980 + (value >>> 25);
  const month = (value >>> 21) & 0x0f;
  const day = (value >>> 16) & 0x1f;
  const hour = (value >>> 11) & 0x1f;
  const minute = (value >>> 5) & 0x3f;
  const seconds = (value & 0x1f) * 2;
  if (month < 1 || month > 12 || day < 1 || hour > 23 || minute > 59 || seconds > 58 || tenMs > 199) {
    return null;
  }
  let ms = Date.UTC(year, month - 1, day, hour, minute, seconds) + tenMs * 10;
  if (new Date(ms).getUTCDate() !== day) return null;
  if (utcOffset & 0x80) {
    const quarters = utcOffset & 0x40 ? (utcOffset & 0x7f) - 0x80 : utcOffset & 0x7f;
    ms -= quarters * 15 * 60 * 1000;
  }
  return new Date(ms).toISOString();
}
