/**
 * VHDX files for the reader's tests that qemu cannot make: differencing disks (qemu has no
 * writer for them), written here from [MS-VHDX] v1.00, and helpers to find and re-checksum the
 * structures of qemu-made files after damaging them on purpose.
 */
import { randomUUID } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { crc32c } from "../../main/formats/vhdx/crc32c.js";
import {
  ITEM_FILE_PARAMETERS,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PAGE83_DATA,
  ITEM_PARENT_LOCATOR,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_VIRTUAL_DISK_SIZE,
  PARENT_TYPE_VHDX,
  REGION_BAT,
  REGION_METADATA,
  guidBytes,
  readGuid,
} from "../../main/formats/vhdx/guid.js";
import { MiB, KiB, patch, readBytes } from "./vhd-fixtures.js";

export const HEADER_OFFSETS = [64 * KiB, 128 * KiB] as const;
export const REGION_TABLE_OFFSETS = [192 * KiB, 256 * KiB] as const;
// The tests name regions and items by these shorter names; the GUIDs themselves are the reader's.
export const BAT_GUID = REGION_BAT;
export const METADATA_GUID = REGION_METADATA;
export const FILE_PARAMETERS = ITEM_FILE_PARAMETERS;
export const VIRTUAL_DISK_SIZE = ITEM_VIRTUAL_DISK_SIZE;
export { guidBytes };

/** Recomputes the CRC-32C of the structure at `offset` (its checksum is at byte 4). */
export function fixCrc(bytes: Buffer): void {
  bytes.writeUInt32LE(0, 4);
  bytes.writeUInt32LE(crc32c(bytes), 4);
}

export function fixCrcInFile(file: string, offset: number, length: number): void {
  const bytes = readBytes(file, offset, length);
  fixCrc(bytes);
  patch(file, offset, bytes);
}

/** The offset of the header with the highest sequence number (both are assumed valid). */
export function currentHeaderOffset(file: string): number {
  const [a, b] = HEADER_OFFSETS.map((o) => readBytes(file, o, 16).readBigUInt64LE(8));
  return (a ?? 0n) >= (b ?? 0n) ? HEADER_OFFSETS[0] : HEADER_OFFSETS[1];
}

export function dataWriteGuid(file: string): string {
  return readGuid(readBytes(file, currentHeaderOffset(file) + 32, 16), 0);
}

/** Edits both region tables the same way, then fixes their checksums. */
export function editRegionTables(file: string, edit: (table: Buffer) => void): void {
  for (const offset of REGION_TABLE_OFFSETS) {
    const bytes = readBytes(file, offset, 64 * KiB);
    edit(bytes);
    fixCrc(bytes);
    patch(file, offset, bytes);
  }
}

/** Marks the log active in the current header (as a writer does before logging a change). */
export function setLogGuid(file: string, logGuid: Buffer): void {
  const at = currentHeaderOffset(file);
  patch(file, at + 48, logGuid);
  fixCrcInFile(file, at, 4 * KiB);
}

/** Writes one valid, empty log entry at the start of the log: a change not yet applied. */
export function writeLogEntry(file: string, logGuid: Buffer): void {
  const header = readBytes(file, currentHeaderOffset(file), 80);
  const size = BigInt(statSync(file).size);
  const entry = Buffer.alloc(4 * KiB);
  entry.write("loge", 0, "latin1");
  entry.writeUInt32LE(4 * KiB, 8);
  entry.writeBigUInt64LE(1n, 16);
  logGuid.copy(entry, 32);
  entry.writeBigUInt64LE(size, 48);
  entry.writeBigUInt64LE(size, 56);
  fixCrc(entry);
  patch(file, Number(header.readBigUInt64LE(72)), entry);
}

/** File offset and length of a region, from the first region table. */
export function region(file: string, guid: string): { offset: number; length: number } {
  const table = readBytes(file, REGION_TABLE_OFFSETS[0], 64 * KiB);
  for (let i = 0; i < table.readUInt32LE(8); i++) {
    const at = 16 + i * 32;
    if (readGuid(table, at) === guid) {
      return { offset: Number(table.readBigUInt64LE(at + 16)), length: table.readUInt32LE(at + 24) };
    }
  }
  throw new Error(`no region ${guid} in ${file}`);
}

/** File offset of a metadata item's value. */
export function metadataItem(file: string, guid: string): number {
  const meta = region(file, METADATA_GUID);
  const table = readBytes(file, meta.offset, 64 * KiB);
  for (let i = 0; i < table.readUInt16LE(10); i++) {
    const at = 32 + i * 32;
    if (readGuid(table, at) === guid) return meta.offset + table.readUInt32LE(at + 16);
  }
  throw new Error(`no metadata item ${guid} in ${file}`);
}

export type ChildBlock =
  | { state: "full"; data: Buffer }
  /** `present(sector)`: whether the child holds that sector of the block (else the parent does). */
  | { state: "partial"; data: Buffer; present: (sector: number) => boolean }
  | { state: "zero" | "undefined" | "unmapped" };

export interface DifferencingSpec {
  virtualSize: number;
  blockSize: number;
  /** Parent locator entries, e.g. relative_path, absolute_win32_path, parent_linkage. */
  locator: Record<string, string>;
  blocks: Map<number, ChildBlock>;
  /** The child's own DataWriteGuid (random unless given, e.g. to build a loop). */
  dataWriteGuid?: string;
}

const STATES = { full: 6, partial: 7, zero: 2, undefined: 1, unmapped: 3 } as const;
const SECTOR = 512;

function header(sequence: bigint, dataGuid: string): Buffer {
  const h = Buffer.alloc(4 * KiB);
  h.write("head", 0, "latin1");
  h.writeBigUInt64LE(sequence, 8);
  guidBytes(randomUUID()).copy(h, 16);
  guidBytes(dataGuid).copy(h, 32);
  h.writeUInt16LE(1, 66);
  h.writeUInt32LE(MiB, 68);
  h.writeBigUInt64LE(BigInt(MiB), 72);
  fixCrc(h);
  return h;
}

function locatorItem(entries: Record<string, string>): Buffer {
  const pairs = Object.entries(entries);
  const head = Buffer.alloc(20 + pairs.length * 12);
  guidBytes(PARENT_TYPE_VHDX).copy(head, 0);
  head.writeUInt16LE(pairs.length, 18);
  const strings: Buffer[] = [];
  let at = head.length;
  pairs.forEach(([key, value], i) => {
    const k = Buffer.from(key, "utf16le");
    const v = Buffer.from(value, "utf16le");
    head.writeUInt32LE(at, 20 + i * 12);
    head.writeUInt32LE(at + k.length, 24 + i * 12);
    head.writeUInt16LE(k.length, 28 + i * 12);
    head.writeUInt16LE(v.length, 30 + i * 12);
    strings.push(k, v);
    at += k.length + v.length;
  });
  return Buffer.concat([head, ...strings]);
}

function metadataRegion(spec: DifferencingSpec): Buffer {
  const params = Buffer.alloc(8);
  params.writeUInt32LE(spec.blockSize, 0);
  params.writeUInt32LE(2, 4); // HasParent
  const size = Buffer.alloc(8);
  size.writeBigUInt64LE(BigInt(spec.virtualSize));
  const sector = Buffer.alloc(4);
  sector.writeUInt32LE(SECTOR);
  const physical = Buffer.alloc(4);
  physical.writeUInt32LE(4096);
  const items: [string, Buffer, number][] = [
    [FILE_PARAMETERS, params, 4],
    [VIRTUAL_DISK_SIZE, size, 6],
    [ITEM_PAGE83_DATA, guidBytes(randomUUID()), 6],
    [ITEM_LOGICAL_SECTOR_SIZE, sector, 6],
    [ITEM_PHYSICAL_SECTOR_SIZE, physical, 6],
    [ITEM_PARENT_LOCATOR, locatorItem(spec.locator), 4],
  ];
  const out = Buffer.alloc(MiB);
  out.write("metadata", 0, "latin1");
  out.writeUInt16LE(items.length, 10);
  let at = 64 * KiB;
  items.forEach(([guid, value, flags], i) => {
    guidBytes(guid).copy(out, 32 + i * 32);
    out.writeUInt32LE(at, 48 + i * 32);
    out.writeUInt32LE(value.length, 52 + i * 32);
    out.writeUInt32LE(flags, 56 + i * 32);
    value.copy(out, at);
    at += Math.ceil(value.length / 8) * 8;
  });
  return out;
}

/**
 * Writes a differencing VHDX: identifier, two headers, two region tables, an empty 1 MiB log at
 * 1 MiB, metadata at 2 MiB, the BAT at 3 MiB, then sector bitmaps and blocks. Returns the
 * child's DataWriteGuid (for a grandchild's parent_linkage).
 */
export function writeDifferencingVhdx(file: string, spec: DifferencingSpec): string {
  const dataGuid = spec.dataWriteGuid ?? randomUUID().toUpperCase();
  const chunkRatio = (2 ** 23 * SECTOR) / spec.blockSize;
  const chunks = Math.ceil(Math.ceil(spec.virtualSize / spec.blockSize) / chunkRatio);
  const bat = Buffer.alloc(Math.ceil((chunks * (chunkRatio + 1) * 8) / MiB) * MiB);
  const parts: { offset: number; data: Buffer }[] = [];
  let next = 3 * MiB + bat.length;
  const bitmaps = new Map<number, { offset: number; data: Buffer }>();
  const setEntry = (index: number, state: number, offset: number) =>
    bat.writeBigUInt64LE(BigInt(state) | (BigInt(offset / MiB) << 20n), index * 8);
  for (const [index, block] of spec.blocks) {
    const entry = index + Math.floor(index / chunkRatio);
    if (block.state !== "full" && block.state !== "partial") {
      setEntry(entry, STATES[block.state], 0);
      continue;
    }
    parts.push({ offset: next, data: block.data });
    setEntry(entry, STATES[block.state], next);
    next += spec.blockSize;
    if (block.state !== "partial") continue;
    const chunk = Math.floor(index / chunkRatio);
    let bitmap = bitmaps.get(chunk);
    if (!bitmap) {
      bitmap = { offset: next, data: Buffer.alloc(MiB) };
      bitmaps.set(chunk, bitmap);
      parts.push(bitmap);
      setEntry(chunk * (chunkRatio + 1) + chunkRatio, 6, next);
      next += MiB;
    }
    const sectors = spec.blockSize / SECTOR;
    for (let s = 0; s < sectors; s++) {
      const bit = (index % chunkRatio) * sectors + s;
      if (block.present(s)) bitmap.data[bit >> 3] = (bitmap.data[bit >> 3] ?? 0) | (1 << (bit & 7));
    }
  }
  const image = Buffer.alloc(next);
  image.write("vhdxfile", 0, "latin1");
  Buffer.from("snapferry test", "utf16le").copy(image, 8);
  header(1n, dataGuid).copy(image, HEADER_OFFSETS[0]);
  header(2n, dataGuid).copy(image, HEADER_OFFSETS[1]);
  const table = Buffer.alloc(64 * KiB);
  table.write("regi", 0, "latin1");
  table.writeUInt32LE(2, 8);
  const regions: [string, number, number][] = [
    [BAT_GUID, 3 * MiB, bat.length],
    [METADATA_GUID, 2 * MiB, MiB],
  ];
  regions.forEach(([guid, offset, length], i) => {
    guidBytes(guid).copy(table, 16 + i * 32);
    table.writeBigUInt64LE(BigInt(offset), 32 + i * 32);
    table.writeUInt32LE(length, 40 + i * 32);
    table.writeUInt32LE(1, 44 + i * 32);
  });
  fixCrc(table);
  for (const offset of REGION_TABLE_OFFSETS) table.copy(image, offset);
  metadataRegion(spec).copy(image, 2 * MiB);
  bat.copy(image, 3 * MiB);
  for (const part of parts) part.data.copy(image, part.offset);
  writeFileSync(file, image);
  return dataGuid;
}

/** The child's blocks over the parent's bytes: what reading the child must give. */
export function overlayChild(base: Buffer, blockSize: number, blocks: Map<number, ChildBlock>): Buffer {
  const out = Buffer.from(base);
  for (const [index, block] of blocks) {
    const start = index * blockSize;
    if (block.state === "full") block.data.copy(out, start);
    else if (block.state === "partial") {
      for (let s = 0; s < blockSize / SECTOR; s++) {
        if (block.present(s)) block.data.copy(out, start + s * SECTOR, s * SECTOR, (s + 1) * SECTOR);
      }
    } else out.fill(0, start, start + blockSize);
  }
  return out;
}
