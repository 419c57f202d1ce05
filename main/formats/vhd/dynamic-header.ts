/**
 * The dynamic disk header (1024 bytes, "cxsparse"), found where the footer's data offset points:
 * the BAT's position and size, the block size and, for differencing disks, how to find the
 * parent (its unique id, its file name and up to eight parent locators).
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { u64be } from "../shared/binary.js";
import { vhdChecksum } from "./checksum.js";

const HEADER_SIZE = 1024;
const MIB = 1024 * 1024;
/** Paths are short; a locator claiming more is damaged. */
const MAX_LOCATOR = 64 * 1024;

export interface ParentLocatorEntry {
  /** "W2ru" (relative, UTF-16LE), "W2ku" (absolute, UTF-16LE), "MacX" (file URL, UTF-8), … */
  code: string;
  offset: number;
  length: number;
}

export interface DynamicHeader {
  tableOffset: number;
  maxTableEntries: number;
  blockSize: number;
  parentUniqueId: Buffer;
  parentName: string;
  locators: ParentLocatorEntry[];
}

/** Node has no UTF-16BE decoder: swap to little-endian; the name ends at its first NUL. */
function utf16be(bytes: Buffer): string {
  return Buffer.from(bytes).swap16().toString("utf16le").split("\0")[0] ?? "";
}

export async function readDynamicHeader(file: ImageFile, offset: number): Promise<DynamicHeader> {
  const data = await file.read(offset, HEADER_SIZE, "the VHD dynamic header");
  if (data.toString("latin1", 0, 8) !== "cxsparse") {
    throw new ImageFormatError(file.path, `has no VHD dynamic header at offset ${offset} (bad cookie)`);
  }
  if (data.readUInt32BE(36) !== vhdChecksum(data, 36)) {
    throw new ImageFormatError(file.path, "has a damaged VHD dynamic header (bad checksum)");
  }
  const blockSize = data.readUInt32BE(32);
  if (blockSize < 512 || blockSize > 256 * MIB || blockSize % 512 !== 0) {
    throw new ImageFormatError(file.path, `has an invalid VHD block size ${blockSize}`);
  }
  const locators: ParentLocatorEntry[] = [];
  for (let i = 0; i < 8; i++) {
    const at = 576 + i * 24;
    const code = data.toString("latin1", at, at + 4);
    if (data.readUInt32BE(at) === 0) continue;
    const length = data.readUInt32BE(at + 8);
    const offset = data.readBigUInt64BE(at + 16);
    // Unusable locators are skipped, not fatal: a dynamic disk never reads them, and a
    // differencing disk may have other locators or the parent's name.
    if (length === 0 || length > MAX_LOCATOR || offset > BigInt(Number.MAX_SAFE_INTEGER)) continue;
    locators.push({ code, length, offset: Number(offset) });
  }
  return {
    tableOffset: u64be(data, 16, file.path, "the VHD BAT offset"),
    maxTableEntries: data.readUInt32BE(28),
    blockSize,
    parentUniqueId: Buffer.from(data.subarray(40, 56)),
    parentName: utf16be(data.subarray(64, 576)),
    locators,
  };
}
