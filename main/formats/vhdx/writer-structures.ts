/**
 * The fixed structures at the front of a VHDX file, encoded as [MS-VHDX] lays them out: the file
 * type identifier, the two headers, the region table and the metadata region. All integers are
 * little-endian; GUIDs are in Microsoft's byte order (the first three fields little-endian).
 */
import { randomBytes } from "node:crypto";
import { SnapferryError } from "../../common/errors.js";
import { crc32c } from "./writer-crc32c.js";

const KiB = 1024;

/** Region and metadata item identifiers fixed by the specification. */
export const BAT_REGION = "2DC27766-F623-4200-9D64-115E9BFD4A08";
export const METADATA_REGION = "8B7CA206-4790-4B9A-B8FE-575F050F886E";
const FILE_PARAMETERS = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
const VIRTUAL_DISK_SIZE = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
const VIRTUAL_DISK_ID = "BECA12AB-B2E6-4523-93EF-C309E000C746";
const LOGICAL_SECTOR_SIZE = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";
const PHYSICAL_SECTOR_SIZE = "CDA348C7-445D-4471-9CC9-E9885251C556";

/** Encodes a GUID written as text ("2DC27766-F623-…") in Microsoft's mixed-endian layout. */
export function guidBytes(text: string): Buffer {
  const hex = text.replace(/-/g, "");
  const raw = Buffer.from(hex, "hex");
  if (raw.length !== 16) throw new SnapferryError("internal", `not a GUID: ${text}`);
  const out = Buffer.from(raw);
  out.writeUInt32LE(raw.readUInt32BE(0), 0);
  out.writeUInt16LE(raw.readUInt16BE(4), 4);
  out.writeUInt16LE(raw.readUInt16BE(6), 6);
  return out;
}

/** A random (version 4) GUID, already in the on-disk byte order. */
export function randomGuid(): Buffer {
  const b = randomBytes(16);
  // Version and variant bits sit in the fields' logical order; byte 7 is the high byte of field 3.
  b[7] = ((b[7] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  return b;
}

/** The 64 KiB file type identifier: the "vhdxfile" signature and the creator, for diagnostics. */
export function encodeFileIdentifier(creator: string): Buffer {
  const buf = Buffer.alloc(64 * KiB);
  buf.write("vhdxfile", 0, "latin1");
  buf.write(creator.slice(0, 255), 8, "utf16le");
  return buf;
}

export interface HeaderFields {
  sequenceNumber: bigint;
  fileWriteGuid: Buffer;
  dataWriteGuid: Buffer;
  logOffset: number;
  logLength: number;
}

/**
 * One 4 KiB header. LogGuid stays zero: the log is empty, so a reader has nothing to replay and
 * may open the file read-only.
 */
export function encodeHeader(fields: HeaderFields): Buffer {
  const buf = Buffer.alloc(4 * KiB);
  buf.write("head", 0, "latin1");
  buf.writeBigUInt64LE(fields.sequenceNumber, 8);
  fields.fileWriteGuid.copy(buf, 16);
  fields.dataWriteGuid.copy(buf, 32);
  // 48: LogGuid, all zeros
  buf.writeUInt16LE(0, 64); // LogVersion
  buf.writeUInt16LE(1, 66); // Version
  buf.writeUInt32LE(fields.logLength, 68);
  buf.writeBigUInt64LE(BigInt(fields.logOffset), 72);
  buf.writeUInt32LE(crc32c(buf), 4);
  return buf;
}

export interface RegionEntry {
  guid: string;
  fileOffset: number;
  length: number;
}

/** The 64 KiB region table; every region we write is required to understand the file. */
export function encodeRegionTable(regions: RegionEntry[]): Buffer {
  const buf = Buffer.alloc(64 * KiB);
  buf.write("regi", 0, "latin1");
  buf.writeUInt32LE(regions.length, 8);
  regions.forEach((region, i) => {
    const at = 16 + i * 32;
    guidBytes(region.guid).copy(buf, at);
    buf.writeBigUInt64LE(BigInt(region.fileOffset), at + 16);
    buf.writeUInt32LE(region.length, at + 24);
    buf.writeUInt32LE(1, at + 28); // Required
  });
  buf.writeUInt32LE(crc32c(buf), 4);
  return buf;
}

export interface DiskParameters {
  blockSize: number;
  virtualSize: number;
  diskId: Buffer;
  logicalSectorSize: number;
  physicalSectorSize: number;
}

const IS_VIRTUAL_DISK = 1 << 1;
const IS_REQUIRED = 1 << 2;

/**
 * The start of the metadata region: the table (its first 64 KiB) and, right after it, the five
 * items a dynamic (non-differencing) disk requires.
 */
export function encodeMetadata(disk: DiskParameters): Buffer {
  const items: { guid: string; flags: number; value: Buffer }[] = [
    { guid: FILE_PARAMETERS, flags: IS_REQUIRED, value: u32Pair(disk.blockSize, 0) },
    { guid: VIRTUAL_DISK_SIZE, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: u64(disk.virtualSize) },
    { guid: VIRTUAL_DISK_ID, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: disk.diskId },
    { guid: LOGICAL_SECTOR_SIZE, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: u32(disk.logicalSectorSize) },
    { guid: PHYSICAL_SECTOR_SIZE, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: u32(disk.physicalSectorSize) },
  ];
  const tableSize = 64 * KiB;
  const buf = Buffer.alloc(tableSize + 4 * KiB);
  buf.write("metadata", 0, "latin1");
  buf.writeUInt16LE(items.length, 10);
  let itemOffset = tableSize;
  items.forEach((item, i) => {
    const at = 32 + i * 32;
    guidBytes(item.guid).copy(buf, at);
    buf.writeUInt32LE(itemOffset, at + 16);
    buf.writeUInt32LE(item.value.length, at + 20);
    buf.writeUInt32LE(item.flags, at + 24);
    item.value.copy(buf, itemOffset);
    itemOffset += item.value.length;
  });
  return buf;
}

function u32(value: number): Buffer {
  const b = Buffer.alloc(4);
  b.writeUInt32LE(value);
  return b;
}

/** File parameters: BlockSize, then the flags (LeaveBlocksAllocated and HasParent both clear). */
function u32Pair(a: number, b: number): Buffer {
  return Buffer.concat([u32(a), u32(b)]);
}

function u64(value: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64LE(BigInt(value));
  return b;
}
