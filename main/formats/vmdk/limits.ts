/**
 * Bounds on what a VMDK may claim. Every size and offset read from a file is checked against these
 * (and against the file's size) before anything is allocated, so a damaged or hostile image fails
 * with a clear ImageFormatError instead of exhausting memory or looping.
 */
import { ImageFormatError } from "../image-error.js";

export const SECTOR = 512;
/** Text descriptors are a few hundred bytes; a 62 TB twoGbMaxExtent disk lists ~31k extents. */
export const MAX_DESCRIPTOR_BYTES = 4 * 1024 * 1024;
export const MAX_EXTENTS = 100_000;
/** VMware caps snapshot chains at 32 deltas; deeper means a loop or a damaged hint. */
export const MAX_CHAIN_DEPTH = 32;
/** VMware uses 64 KiB grains (ESXi deltas 512 B); 16 MiB leaves room without risking memory. */
export const MAX_GRAIN_SECTORS = 32768;
export const MAX_GTES_PER_GT = 4096;
/** 2^24 grain directory entries (64 MiB) address 512 TiB with default grains. */
export const MAX_GD_ENTRIES = 2 ** 24;
/** Largest capacity in sectors whose byte count is still an exact JS number. */
export const MAX_CAPACITY_SECTORS = Math.floor(Number.MAX_SAFE_INTEGER / SECTOR);

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

/** A 64-bit field as a number; above 2^53 it can only be corruption, so it is refused. */
export function u64(buf: Buffer, at: number, file: string, field: string): number {
  const value = buf.readBigUInt64LE(at);
  if (value > MAX_SAFE) {
    throw new ImageFormatError(
      file,
      `${field} is ${value}, larger than any real disk (the header is damaged)`,
    );
  }
  return Number(value);
}

export function isPowerOfTwo(n: number): boolean {
  return n > 0 && Number.isSafeInteger(n) && (n & (n - 1)) === 0;
}

/** Integer division that stays exact near 2^53, where `Math.floor(a / b)` can round up. */
export function idiv(a: number, b: number): number {
  return (a - (a % b)) / b;
}

export function ceilDiv(a: number, b: number): number {
  return idiv(a + b - 1, b);
}
