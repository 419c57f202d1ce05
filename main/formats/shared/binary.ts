/**
 * 64-bit fields as plain numbers. Image formats store sizes and offsets in 64 bits, but a JS
 * number is exact only up to 2^53; larger values can only come from corruption (no disk is 8 PiB),
 * so they are refused here rather than silently rounded.
 */
import { ImageFormatError } from "../image-error.js";

const MAX_SAFE = BigInt(Number.MAX_SAFE_INTEGER);

export function toSafeNumber(value: bigint, file: string, field: string): number {
  if (value > MAX_SAFE) {
    throw new ImageFormatError(
      file,
      `${field} is ${value}, larger than any real disk (the header is damaged)`,
    );
  }
  return Number(value);
}

export function u64le(buffer: Buffer, offset: number, file: string, field: string): number {
  return toSafeNumber(buffer.readBigUInt64LE(offset), file, field);
}

export function u64be(buffer: Buffer, offset: number, file: string, field: string): number {
  return toSafeNumber(buffer.readBigUInt64BE(offset), file, field);
}
