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

  /** `into`, when given and large enough, receives the stored blob (see Sealer.seal). */
  encode(plaintext: Uint8Array, into?: Buffer): EncodedBlob {
    const bound = compressBound(plaintext.length);
    if (this.scratch.length < bound) this.scratch = Buffer.allocUnsafeSlow(bound);
    const packed = this.cctx.compress(this.scratch, plaintext, ZSTD_LEVEL);
    // Incompressible data (already compressed or encrypted files) is kept as is: cheaper to read back.
    if (packed < plaintext.length - plaintext.length / 64) {
      return {
        stored: this.sealer.seal(this.scratch.subarray(0, packed), into),
        compression: Compression.zstd,
      };
    }
    return { stored: this.sealer.seal(plaintext, into), compression: Compression.none };
  }
}

/**
 * The buffer a blob's plaintext goes into: the caller's (a recycled one), or one of exactly the
 * recorded raw length, so that a damaged or hostile frame can never make it allocate more. Either
 * way it starts its ArrayBuffer, so a worker can hand it over.
 */
function plaintextBuffer(rawLength: number, into: Buffer | undefined): Buffer {
  return into && into.byteOffset === 0 && into.length >= rawLength
    ? into.subarray(0, rawLength)
    : Buffer.allocUnsafeSlow(rawLength);
}

function decompressExactly(
  dctx: InstanceType<typeof DCtx>,
  packed: Buffer,
  rawLength: number,
  what: string,
  into: Buffer | undefined,
): Buffer {
  const out = plaintextBuffer(rawLength, into);
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
 * plaintext must equal `expectedId`. `what` names the blob in errors. With `into`, the plaintext
 * is written there (when it fits) instead of into a new buffer.
 */
export function decodeBlob(
  sealer: Sealer,
  stored: Uint8Array,
  compression: number,
  rawLength: number,
  expectedId: Uint8Array,
  what: string,
  into?: Buffer,
): Buffer {
  let plaintext: Buffer;
  if (compression === Compression.zstd) {
    sharedDctx ??= new DCtx();
    const opened = sealer.open(stored, what, scratchFor(stored.length));
    plaintext = decompressExactly(sharedDctx, opened, rawLength, what, into);
  } else if (compression === Compression.none) {
    plaintext = sealer.open(stored, what, into);
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

let openScratch: Buffer | undefined;

/**
 * Where a compressed blob is decrypted before it is decompressed: one buffer per thread, reused
 * (decodeBlob is synchronous, so nothing else uses it meanwhile).
 */
function scratchFor(storedLength: number): Buffer {
  if (!openScratch || openScratch.length < storedLength) openScratch = Buffer.allocUnsafeSlow(storedLength);
  return openScratch;
}
