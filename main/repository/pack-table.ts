/**
 * The table of blobs at the end of every pack, and the same records inside index files.
 * Layout of one entry (48 bytes, little-endian): type u8, compression u8, reserved u16,
 * offset u32, stored length u32, raw length u32, id (32 bytes).
 */
import { CorruptDataError } from "../common/errors.js";
import { BlobType, Compression, ID_SIZE, PACK_ENTRY_SIZE } from "./file-formats.js";

export interface PackEntry {
  type: BlobType;
  compression: Compression;
  offset: number;
  storedLength: number;
  rawLength: number;
  id: Buffer;
}

export function encodeEntries(entries: readonly PackEntry[]): Buffer {
  const out = Buffer.alloc(4 + entries.length * PACK_ENTRY_SIZE);
  out.writeUInt32LE(entries.length, 0);
  entries.forEach((e, i) => writeEntry(out, 4 + i * PACK_ENTRY_SIZE, e));
  return out;
}

export function writeEntry(out: Buffer, at: number, e: PackEntry): void {
  out.writeUInt8(e.type, at);
  out.writeUInt8(e.compression, at + 1);
  out.writeUInt16LE(0, at + 2);
  out.writeUInt32LE(e.offset, at + 4);
  out.writeUInt32LE(e.storedLength, at + 8);
  out.writeUInt32LE(e.rawLength, at + 12);
  e.id.copy(out, at + 16);
}

export function readEntry(buf: Buffer, at: number, what: string): PackEntry {
  if (at + PACK_ENTRY_SIZE > buf.length) throw new CorruptDataError(`${what}: blob table is truncated`);
  const type = buf.readUInt8(at);
  const compression = buf.readUInt8(at + 1);
  if (type !== BlobType.data && type !== BlobType.list) {
    throw new CorruptDataError(`${what}: unknown blob type ${type}`);
  }
  if (compression !== Compression.none && compression !== Compression.zstd) {
    throw new CorruptDataError(`${what}: unknown compression ${compression}`);
  }
  return {
    type,
    compression,
    offset: buf.readUInt32LE(at + 4),
    storedLength: buf.readUInt32LE(at + 8),
    rawLength: buf.readUInt32LE(at + 12),
    id: Buffer.from(buf.subarray(at + 16, at + 16 + ID_SIZE)),
  };
}

/** Decodes a count-prefixed table starting at `at`; returns the entries and the position after. */
export function decodeEntries(buf: Buffer, at: number, what: string): { entries: PackEntry[]; end: number } {
  if (at + 4 > buf.length) throw new CorruptDataError(`${what}: blob table is truncated`);
  const count = buf.readUInt32LE(at);
  const entries: PackEntry[] = [];
  let pos = at + 4;
  for (let i = 0; i < count; i++, pos += PACK_ENTRY_SIZE) entries.push(readEntry(buf, pos, what));
  return { entries, end: pos };
}
