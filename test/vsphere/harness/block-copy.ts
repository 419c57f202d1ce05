/**
 * Freezing a disk: one pass over the live flat file that writes a sparse copy and records a 16-byte
 * hash per 64 KiB block. The hashes outlive the copy, so diffs between generations cost 1/4096 of
 * the disk in memory and nothing on disk once a snapshot is gone.
 */
import { createHash } from "node:crypto";
import { open, type FileHandle } from "node:fs/promises";

export const BLOCK_SIZE = 64 * 1024;
export const HASH_SIZE = 16;

/** Per-block hashes of one disk generation; an all-zero hash marks a block of zeros (unallocated). */
export interface BlockHashes {
  size: number;
  hashes: Buffer;
}

export function blockCount(size: number): number {
  return Math.ceil(size / BLOCK_SIZE);
}

export function isAllocated(map: BlockHashes, block: number): boolean {
  const start = block * HASH_SIZE;
  if (start >= map.hashes.length) return false;
  for (let i = start; i < start + HASH_SIZE; i++) if (map.hashes[i] !== 0) return true;
  return false;
}

/** Whether a block may differ between two generations; blocks past a generation's end are zeros. */
export function blockDiffers(a: BlockHashes, b: BlockHashes, block: number): boolean {
  const start = block * HASH_SIZE;
  const inA = start < a.hashes.length;
  const inB = start < b.hashes.length;
  if (!inA || !inB) return isAllocated(inA ? a : b, block);
  return a.hashes.compare(b.hashes, start, start + HASH_SIZE, start, start + HASH_SIZE) !== 0;
}

async function openIfExists(path: string): Promise<FileHandle | undefined> {
  try {
    return await open(path, "r");
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === "ENOENT") return undefined;
    throw err;
  }
}

/**
 * Copies `livePath` to `frozenPath` as a file of exactly `size` bytes (zeros past the live file's
 * end, like a flat extent of the disk's capacity), writing only non-zero blocks so it stays sparse.
 */
export async function freezeCopy(livePath: string, frozenPath: string, size: number): Promise<BlockHashes> {
  const blocks = blockCount(size);
  const hashes = Buffer.alloc(blocks * HASH_SIZE);
  const buffer = Buffer.alloc(BLOCK_SIZE);
  const zero = Buffer.alloc(BLOCK_SIZE);
  const live = await openIfExists(livePath);
  const frozen = await open(frozenPath, "w");
  try {
    for (let block = 0; block < blocks; block++) {
      const position = block * BLOCK_SIZE;
      const length = Math.min(BLOCK_SIZE, size - position);
      let filled = 0;
      while (live && filled < length) {
        const { bytesRead } = await live.read(buffer, filled, length - filled, position + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      buffer.fill(0, filled);
      if (buffer.equals(zero)) continue;
      await frozen.write(buffer, 0, length, position);
      createHash("sha256")
        .update(buffer)
        .digest()
        .copy(hashes, block * HASH_SIZE, 0, HASH_SIZE);
    }
    await frozen.truncate(size);
  } finally {
    await frozen.close();
    await live?.close();
  }
  return { size, hashes };
}
