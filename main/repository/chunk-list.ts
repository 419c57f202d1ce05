/**
 * A segment of a disk's chunk list, as stored in a "list" blob: u32 LE count, then `count` ids of
 * 32 bytes. An all-zero id is a hole: that chunk of the disk is zeros and nothing is stored.
 */
import { CorruptDataError } from "../common/errors.js";
import { ID_SIZE } from "./file-formats.js";

export function encodeChunkList(ids: readonly Uint8Array[]): Buffer {
  const out = Buffer.alloc(4 + ids.length * ID_SIZE);
  out.writeUInt32LE(ids.length, 0);
  ids.forEach((id, i) => out.set(id, 4 + i * ID_SIZE));
  return out;
}

export function decodeChunkList(bytes: Buffer, what: string): Buffer[] {
  if (bytes.length < 4) throw new CorruptDataError(`${what} is truncated`);
  const count = bytes.readUInt32LE(0);
  if (bytes.length !== 4 + count * ID_SIZE) throw new CorruptDataError(`${what} has the wrong length`);
  const ids: Buffer[] = [];
  for (let i = 0; i < count; i++) ids.push(bytes.subarray(4 + i * ID_SIZE, 4 + (i + 1) * ID_SIZE));
  return ids;
}

/** Number of chunks in a disk of `size` bytes, and how many segments hold their ids. */
export function chunkCount(size: number, chunkSize: number): number {
  return Math.ceil(size / chunkSize);
}
