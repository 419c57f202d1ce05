/**
 * The qcow2 file header and its extensions (qemu's docs/interop/qcow2.txt), checked against the
 * file's size and sane limits before anything is allocated from the numbers it holds.
 */
import type { FileHandle } from "node:fs/promises";
import { ImageFormatError } from "../image-error.js";

export const QCOW2_MAGIC = 0x514649fb; // "QFI\xfb"

const V2_HEADER_BYTES = 72;
const V3_HEADER_BYTES = 104;
/** qemu refuses larger clusters, so no real image has them. */
const MAX_CLUSTER_BITS = 21;
const MIN_CLUSTER_BITS = 9;
/** qemu's own limit on the L1 table: it bounds what a hostile header can make us allocate. */
export const MAX_L1_BYTES = 32 * 1024 * 1024;
const MAX_BACKING_NAME_BYTES = 1023;

const EXT_END = 0x00000000;
const EXT_BACKING_FORMAT = 0xe2792aca;
const EXT_FEATURE_NAMES = 0x6803f857;
const EXT_DATA_FILE = 0x44415441;

const INCOMPAT_DIRTY = 1n << 0n;
const INCOMPAT_CORRUPT = 1n << 1n;
const INCOMPAT_DATA_FILE = 1n << 2n;
const INCOMPAT_COMPRESSION = 1n << 3n;
const INCOMPAT_EXTENDED_L2 = 1n << 4n;
const INCOMPAT_KNOWN =
  INCOMPAT_DIRTY | INCOMPAT_CORRUPT | INCOMPAT_DATA_FILE | INCOMPAT_COMPRESSION | INCOMPAT_EXTENDED_L2;

const CONVERT_HINT = "Convert it with `qemu-img convert -O qcow2 <image> <copy>` and back up the copy.";

export interface Qcow2Header {
  version: 2 | 3;
  clusterBits: number;
  clusterSize: number;
  virtualSize: number;
  /** Entries in the active L1 table. */
  l1Size: number;
  l1TableOffset: number;
  /** The backing file name as stored (relative names are relative to the image's folder). */
  backingFile: string | undefined;
  /** From the backing format header extension, when the image has one. */
  backingFormat: string | undefined;
  compression: "zlib" | "zstd";
  /** 128-bit L2 entries with 32 subclusters per cluster. */
  extendedL2: boolean;
  /** Refcounts may be stale (qemu did not close it cleanly); the mapping is still valid to read. */
  dirty: boolean;
  /** qemu found an inconsistency in its metadata and marked the image. */
  corrupt: boolean;
  /** Bytes per L2 entry: 8, or 16 with extended L2 entries. */
  l2EntryBytes: number;
  /** Entries per L2 table (one cluster). */
  l2Entries: number;
}

/** A 64-bit field as a number; anything above 2^53 is beyond any real file and rejected. */
function u64(file: string, buf: Buffer, at: number, field: string): number {
  const value = buf.readBigUInt64BE(at);
  if (value > BigInt(Number.MAX_SAFE_INTEGER)) {
    throw new ImageFormatError(file, `qcow2 header field ${field} is ${value}, which no real image can have`);
  }
  return Number(value);
}

function featureList(bits: bigint, names: Map<number, string>): string {
  const list: string[] = [];
  for (let bit = 0; bit < 64; bit++) {
    if ((bits >> BigInt(bit)) & 1n) list.push(names.get(bit) ?? `bit ${bit}`);
  }
  return list.join(", ");
}

/** Reads and validates the header in the image's first cluster. */
export async function readQcow2Header(
  file: string,
  handle: FileHandle,
  fileSize: number,
): Promise<Qcow2Header> {
  if (fileSize < V2_HEADER_BYTES) {
    throw new ImageFormatError(
      file,
      `truncated qcow2 header: the file is ${fileSize} bytes, a header needs at least ${V2_HEADER_BYTES}`,
    );
  }
  const fixed = Buffer.alloc(V3_HEADER_BYTES);
  await handle.read(fixed, 0, Math.min(V3_HEADER_BYTES, fileSize), 0);
  if (fixed.readUInt32BE(0) !== QCOW2_MAGIC)
    throw new ImageFormatError(file, "not a qcow2 image (bad magic)");
  const version = fixed.readUInt32BE(4);
  if (version !== 2 && version !== 3) {
    throw new ImageFormatError(
      file,
      `qcow version ${version} images are not supported (only 2 and 3)`,
      CONVERT_HINT,
    );
  }
  // Checked early: an encrypted image gives this message whatever else is odd about it.
  if (fixed.readUInt32BE(32) !== 0) {
    throw new ImageFormatError(
      file,
      "encrypted qcow2 images are not supported",
      "Decrypt it first with `qemu-img convert` (giving the key with --object secret) into an unencrypted image.",
    );
  }
  if (version === 3 && fileSize < V3_HEADER_BYTES) {
    throw new ImageFormatError(
      file,
      `truncated qcow2 header: the file is ${fileSize} bytes, a version 3 header needs ${V3_HEADER_BYTES}`,
    );
  }

  const clusterBits = fixed.readUInt32BE(20);
  if (clusterBits < MIN_CLUSTER_BITS || clusterBits > MAX_CLUSTER_BITS) {
    throw new ImageFormatError(file, `qcow2 cluster_bits is ${clusterBits}, outside 9..21 (512 B to 2 MiB)`);
  }
  const clusterSize = 2 ** clusterBits;
  const incompatible = version === 3 ? fixed.readBigUInt64BE(72) : 0n;
  const headerLength = version === 3 ? fixed.readUInt32BE(100) : V2_HEADER_BYTES;
  if (version === 3 && (headerLength < V3_HEADER_BYTES || headerLength % 8 !== 0)) {
    throw new ImageFormatError(
      file,
      `qcow2 header_length is ${headerLength}, not a multiple of 8 from 104 up`,
    );
  }
  if (headerLength > clusterSize || headerLength > fileSize) {
    throw new ImageFormatError(
      file,
      `qcow2 header_length ${headerLength} runs past the first cluster or the file`,
    );
  }

  const first = Buffer.alloc(Math.min(clusterSize, fileSize));
  await handle.read(first, 0, first.length, 0);
  const backingOffset = u64(file, first, 8, "backing_file_offset");
  const extensions = readExtensions(file, first, headerLength, backingOffset || first.length);

  const unknown = incompatible & ~INCOMPAT_KNOWN;
  if (unknown !== 0n) {
    throw new ImageFormatError(
      file,
      `the qcow2 image uses features this reader does not know: ${featureList(unknown, extensions.featureNames)}`,
      CONVERT_HINT,
    );
  }
  if (incompatible & INCOMPAT_DATA_FILE) {
    const name = extensions.dataFile === undefined ? "" : ` (${extensions.dataFile})`;
    throw new ImageFormatError(
      file,
      `the qcow2 image keeps its data in an external data file${name}, which is not supported`,
      CONVERT_HINT,
    );
  }
  const extendedL2 = (incompatible & INCOMPAT_EXTENDED_L2) !== 0n;
  if (extendedL2 && clusterBits < 14) {
    throw new ImageFormatError(
      file,
      `qcow2 extended L2 entries need clusters of 16 KiB or more, not ${clusterSize}`,
    );
  }
  const compression = compressionType(
    file,
    first,
    headerLength,
    (incompatible & INCOMPAT_COMPRESSION) !== 0n,
  );

  const l2EntryBytes = extendedL2 ? 16 : 8;
  const l2Entries = clusterSize / l2EntryBytes;
  const header: Qcow2Header = {
    version,
    clusterBits,
    clusterSize,
    virtualSize: u64(file, first, 24, "size"),
    l1Size: first.readUInt32BE(36),
    l1TableOffset: u64(file, first, 40, "l1_table_offset"),
    backingFile: backingName(file, first, backingOffset, first.readUInt32BE(16)),
    backingFormat: extensions.backingFormat,
    compression,
    extendedL2,
    dirty: (incompatible & INCOMPAT_DIRTY) !== 0n,
    corrupt: (incompatible & INCOMPAT_CORRUPT) !== 0n,
    l2EntryBytes,
    l2Entries,
  };
  checkL1(file, header, fileSize);
  return header;
}

function compressionType(
  file: string,
  first: Buffer,
  headerLength: number,
  flagged: boolean,
): "zlib" | "zstd" {
  const type = headerLength > V3_HEADER_BYTES ? first.readUInt8(V3_HEADER_BYTES) : 0;
  if (flagged && type === 0) {
    throw new ImageFormatError(
      file,
      "the qcow2 compression type bit is set but no compression type is given",
    );
  }
  if (!flagged && type !== 0) {
    throw new ImageFormatError(file, `qcow2 compression type ${type} is set without its feature bit`);
  }
  if (type === 0) return "zlib";
  if (type === 1) return "zstd";
  throw new ImageFormatError(
    file,
    `qcow2 compression type ${type} is not supported (only zlib and zstd)`,
    CONVERT_HINT,
  );
}

/** The virtual size must fit the L1 table, and the L1 table must fit the file and our budget. */
function checkL1(file: string, h: Qcow2Header, fileSize: number): void {
  const bytesPerL1Entry = h.clusterSize * h.l2Entries;
  const needed = Math.ceil(h.virtualSize / bytesPerL1Entry);
  if (needed * 8 > MAX_L1_BYTES) {
    throw new ImageFormatError(
      file,
      `qcow2 virtual size ${h.virtualSize} bytes is too large for ${h.clusterSize}-byte clusters`,
    );
  }
  if (h.l1Size < needed) {
    throw new ImageFormatError(
      file,
      `qcow2 L1 table has ${h.l1Size} entries but the virtual size (${h.virtualSize} bytes) needs ${needed}`,
    );
  }
  if (h.l1Size * 8 > MAX_L1_BYTES) {
    throw new ImageFormatError(
      file,
      `qcow2 L1 table of ${h.l1Size} entries is larger than any real image has`,
    );
  }
  if (needed === 0) return;
  if (h.l1TableOffset % h.clusterSize !== 0 || h.l1TableOffset === 0) {
    throw new ImageFormatError(file, `qcow2 L1 table offset ${h.l1TableOffset} is not a cluster boundary`);
  }
  if (h.l1TableOffset + needed * 8 > fileSize) {
    throw new ImageFormatError(
      file,
      `qcow2 L1 table at offset ${h.l1TableOffset} runs past the end of the file (${fileSize} bytes)`,
    );
  }
}

function backingName(file: string, first: Buffer, offset: number, size: number): string | undefined {
  if (offset === 0 || size === 0) return undefined;
  if (size > MAX_BACKING_NAME_BYTES || offset + size > first.length) {
    throw new ImageFormatError(
      file,
      `qcow2 backing file name (${size} bytes at offset ${offset}) does not fit in the header cluster`,
    );
  }
  return first.toString("utf8", offset, offset + size);
}

interface Extensions {
  backingFormat: string | undefined;
  dataFile: string | undefined;
  featureNames: Map<number, string>;
}

/** Walks the header extensions, which sit between the header and `end` in the first cluster. */
function readExtensions(file: string, first: Buffer, start: number, end: number): Extensions {
  const found: Extensions = { backingFormat: undefined, dataFile: undefined, featureNames: new Map() };
  const limit = Math.min(end, first.length);
  let at = start;
  while (at + 8 <= limit) {
    const type = first.readUInt32BE(at);
    const length = first.readUInt32BE(at + 4);
    if (type === EXT_END) break;
    const dataStart = at + 8;
    if (length > limit - dataStart) {
      throw new ImageFormatError(file, `qcow2 header extension at offset ${at} runs past the header cluster`);
    }
    const data = first.subarray(dataStart, dataStart + length);
    if (type === EXT_BACKING_FORMAT) found.backingFormat = data.toString("utf8");
    else if (type === EXT_DATA_FILE) found.dataFile = data.toString("utf8");
    else if (type === EXT_FEATURE_NAMES) readFeatureNames(data, found.featureNames);
    at = dataStart + Math.ceil(length / 8) * 8;
  }
  return found;
}

/** Only incompatible features' names are kept: they are what an error message needs. */
function readFeatureNames(data: Buffer, names: Map<number, string>): void {
  for (let at = 0; at + 48 <= data.length; at += 48) {
    if (data.readUInt8(at) !== 0) continue;
    const name = data.toString("utf8", at + 2, at + 48).replace(/\0.*$/s, "");
    names.set(data.readUInt8(at + 1), name);
  }
}
