/**
 * A blob is a chunk (or a chunk list) as stored: compressed with zstd when that saves space, then
 * sealed. These functions are pure CPU work; the worker pool runs them off the main thread.
 */
import zstdBinding from "zstd-napi/binding.js";

const { CCtx, DCtx, compressBound } = zstdBinding;
import { CorruptDataError } from "../common/errors.js";
import { Compression, ZSTD_LEVEL } from "./file-formats.js";
import type { Sealer } from "./sealer.js";

export interface EncodedBlob {
  stored: Buffer;
  compression: Compression;
}

/**
 * Compresses and seals blobs. It keeps one zstd context and one scratch buffer for its lifetime:
 * allocating a fresh megabyte per chunk would leave the allocator holding far more than the
 * pipeline ever uses at once.
 */
export class BlobEncoder {
  private readonly cctx = new CCtx();
  private scratch = Buffer.alloc(0);

  constructor(private readonly sealer: Sealer) {}

  encode(plaintext: Uint8Array): EncodedBlob {
    const bound = compressBound(plaintext.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafeSlow(bound);
    const packed = this.cctx.compress(this.scratch, plaintext, ZSTD_LEVEL);
    // Incompressible data (already compressed or encrypted files) is kept as is: cheaper to read back.
    if (packed < plaintext.length - plaintext.length / 64) {
      return { stored: this.sealer.seal(this.scratch.subarray(0, packed)), compression: Compression.zstd };
    }
    return { stored: this.sealer.seal(plaintext), compression: Compression.none };
  }
}

/**
 * Decompresses into a buffer of exactly the recorded raw length: a damaged or hostile frame can
 * never make it allocate more. The output owns its ArrayBuffer, so a worker can hand it over.
 */
function decompressExactly(
  dctx: InstanceType<typeof DCtx>,
  packed: Buffer,
  rawLength: number,
  what: string,
): Buffer {
  const out = Buffer.allocUnsafeSlow(rawLength);
  let written: number;
  try {
    written = dctx.decompress(out, packed);
  } catch {
    throw new CorruptDataError(`${what} is damaged (cannot decompress)`);
  }
  if (written !== rawLength)
    throw new CorruptDataError(`${what} has length ${written}, expected ${rawLength}`);
  return out;
}

let sharedDctx: InstanceType<typeof DCtx> | undefined;

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
    sharedDctx ??= new DCtx();
    plaintext = decompressExactly(sharedDctx, opened, rawLength, what);
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
