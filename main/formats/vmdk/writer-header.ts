/**
 * The 512-byte SparseExtentHeader that starts a hosted sparse or stream-optimized VMDK extent
 * (and, for the latter, is repeated as the footer). Little-endian, sizes and offsets in sectors.
 */
import path from "node:path";
import { SnapferryError } from "../../common/errors.js";
import type { StagedImageFile } from "../staged-file.js";
import { SECTOR, requireNonEmpty, requireWholeSectors } from "../write-checks.js";
import { vmdkDescriptor, type VmdkOptions } from "./writer-descriptor.js";

const MAGIC = 0x564d444b; // "KDMV"

/** Newline characters are stored so a reader can tell the file was not mangled by a text transfer. */
export const FLAG_VALID_NEWLINE_TEST = 1 << 0;
export const FLAG_REDUNDANT_GRAIN_TABLE = 1 << 1;
export const FLAG_COMPRESSED_GRAINS = 1 << 16;
export const FLAG_MARKERS = 1 << 17;

export const COMPRESSION_DEFLATE = 1;
/** The header's gdOffset when the grain directory's place is only known from the footer. */
export const GD_AT_END = 0xffffffffffffffffn;

/** 64 KiB grains (qemu's and VMware's default) with 512 entries per grain table (32 MiB each). */
export const GRAIN_SECTORS = 128;
export const GRAIN_SIZE = GRAIN_SECTORS * SECTOR;
export const GT_ENTRIES = 512;
export const GT_SECTORS = (GT_ENTRIES * 4) / SECTOR;

/** Grain offsets are 32-bit sector numbers, so neither the disk nor the file can pass 2 TiB. */
export const MAX_SECTOR = 0xffffffff;

export interface SparseHeader {
  version: 1 | 3;
  flags: number;
  capacity: number;
  descriptorOffset: number;
  descriptorSize: number;
  rgdOffset: number;
  gdOffset: bigint;
  overHead: number;
  compressAlgorithm: number;
}

export function encodeSparseHeader(h: SparseHeader): Buffer {
  const buf = Buffer.alloc(SECTOR);
  buf.writeUInt32LE(MAGIC, 0);
  buf.writeUInt32LE(h.version, 4);
  buf.writeUInt32LE(h.flags, 8);
  buf.writeBigUInt64LE(BigInt(h.capacity), 12);
  buf.writeBigUInt64LE(BigInt(GRAIN_SECTORS), 20);
  buf.writeBigUInt64LE(BigInt(h.descriptorOffset), 28);
  buf.writeBigUInt64LE(BigInt(h.descriptorSize), 36);
  buf.writeUInt32LE(GT_ENTRIES, 44);
  buf.writeBigUInt64LE(BigInt(h.rgdOffset), 48);
  buf.writeBigUInt64LE(h.gdOffset, 56);
  buf.writeBigUInt64LE(BigInt(h.overHead), 64);
  // 72: uncleanShutdown stays 0: the file is only visible once complete.
  buf.write("\n \r\n", 73, "latin1");
  buf.writeUInt16LE(h.compressAlgorithm, 77);
  return buf;
}

/** Refuses a disk whose sectors cannot all be addressed by 32-bit grain table entries. */
export function requireSparseCapacity(kind: string, virtualSize: number): void {
  if (virtualSize / SECTOR > MAX_SECTOR) {
    throw new SnapferryError(
      "target",
      `a ${kind} VMDK holds less than 2 TiB, and this disk is ${virtualSize} bytes`,
      'Write it as "vmdk-flat" (for ESXi), qcow2 or vhdx instead.',
    );
  }
}

/** The error for an image whose data grew past what 32-bit sector offsets reach. */
export function fileTooLarge(kind: string, path: string): SnapferryError {
  return new SnapferryError(
    "target",
    `${path}: a ${kind} VMDK file cannot grow past 2 TiB, and this disk's data does not fit`,
    'Write it as "vmdk-flat" (for ESXi), qcow2 or vhdx instead.',
  );
}

/** The embedded descriptor, NUL-padded to whole sectors (at least `minSectors`). */
export function descriptorSectors(text: string, minSectors: number): Buffer {
  const bytes = Buffer.from(text, "utf8");
  const sectors = Math.max(minSectors, Math.ceil(bytes.length / SECTOR));
  const buf = Buffer.alloc(sectors * SECTOR);
  bytes.copy(buf);
  return buf;
}

/** A hosted sparse extent's size in sectors and its embedded descriptor, ready to write. */
export interface SparseExtentStart {
  capacity: number;
  descriptor: Buffer;
}

/**
 * Checks that a disk fits a hosted sparse extent (a monolithicSparse or streamOptimized VMDK
 * written to `file`) and builds the descriptor embedded in it, NUL-padded to whole sectors (at
 * least `minSectors`).
 */
export function sparseExtentStart(
  format: "vmdk" | "vmdk-stream",
  createType: "monolithicSparse" | "streamOptimized",
  file: string,
  virtualSize: number,
  options: VmdkOptions,
  minSectors: number,
): SparseExtentStart {
  requireWholeSectors(format, virtualSize);
  requireNonEmpty(format, virtualSize);
  requireSparseCapacity(createType, virtualSize);
  const capacity = virtualSize / SECTOR;
  const text = vmdkDescriptor(
    createType,
    { sectors: capacity, type: "SPARSE", file: path.basename(file) },
    options,
  );
  return { capacity, descriptor: descriptorSectors(text, minSectors) };
}

/** Writes the header at sector 0 and the embedded descriptor after it, at sector 1. */
export async function writeSparseHead(
  file: StagedImageFile,
  header: SparseHeader,
  descriptor: Buffer,
): Promise<void> {
  await file.write(0, encodeSparseHeader(header));
  await file.write(SECTOR, descriptor);
}
