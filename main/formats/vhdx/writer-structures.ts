/**
 * The fixed structures at the front of a VHDX file, encoded as [MS-VHDX] lays them out: the file
 * type identifier, the two headers, the region table and the metadata region. All integers are
 * little-endian; GUIDs are in Microsoft's byte order (the first three fields little-endian).
 */
import { crc32c } from "./crc32c.js";
import {
  ITEM_FILE_PARAMETERS,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PAGE83_DATA,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_VIRTUAL_DISK_SIZE,
  guidBytes,
} from "./guid.js";

const KiB = 1024;

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
    { guid: ITEM_FILE_PARAMETERS, flags: IS_REQUIRED, value: u32Pair(disk.blockSize, 0) },
    { guid: ITEM_VIRTUAL_DISK_SIZE, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: u64(disk.virtualSize) },
    { guid: ITEM_PAGE83_DATA, flags: IS_REQUIRED | IS_VIRTUAL_DISK, value: disk.diskId },
    {
      guid: ITEM_LOGICAL_SECTOR_SIZE,
      flags: IS_REQUIRED | IS_VIRTUAL_DISK,
      value: u32(disk.logicalSectorSize),
    },
    {
      guid: ITEM_PHYSICAL_SECTOR_SIZE,
      flags: IS_REQUIRED | IS_VIRTUAL_DISK,
      value: u32(disk.physicalSectorSize),
    },
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
