/**
 * A blob is a chunk (or a chunk list) as stored: compressed with zstd when that saves space, then
 * sealed. These functions are pure CPU work; the worker pool runs them off the main thread.
 */
import { compress, decompress } from "zstd-napi";
import { CorruptDataError } from "../common/errors.js";
import { Compression, ZSTD_LEVEL } from "./file-formats.js";
import type { Sealer } from "./sealer.js";

export interface EncodedBlob {
  stored: Buffer;
  compression: Compression;
}

export function encodeBlob(sealer: Sealer, plaintext: Uint8Array): EncodedBlob {
  const packed = compress(plaintext, { compressionLevel: ZSTD_LEVEL });
  // Incompressible data (already compressed or encrypted files) is kept as is: cheaper to read back.
  if (packed.length < plaintext.length - plaintext.length / 64) {
    return { stored: sealer.seal(packed), compression: Compression.zstd };
  }
  return { stored: sealer.seal(plaintext), compression: Compression.none };
}

/**
 * Opens a stored blob and proves it is the chunk that was asked for: the id recomputed from the
 * plaintext must equal `expectedId`. `what` names the blob in errors.
 */
export function decodeBlob(
  sealer: Sealer,
  stored: Uint8Array,
  compression: number,
  rawLength: number,
  expectedId: Uint8Array,
  what: string,
): Buffer {
  const opened = sealer.open(stored, what);
  let plaintext: Buffer;
  if (compression === Compression.zstd) {
    try {
      plaintext = decompress(opened);
    } catch {
      throw new CorruptDataError(`${what} is damaged (cannot decompress)`);
    }
  } else if (compression === Compression.none) {
    plaintext = opened;
  } else {
    throw new CorruptDataError(`${what} uses an unknown compression (${compression})`);
  }
  if (plaintext.length !== rawLength) {
    throw new CorruptDataError(`${what} has length ${plaintext.length}, expected ${rawLength}`);
  }
  if (!sealer.chunkId(plaintext).equals(expectedId)) {
    throw new CorruptDataError(`${what} does not match its id (content changed)`);
  }
  return plaintext;
}
