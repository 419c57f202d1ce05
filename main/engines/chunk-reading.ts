/**
 * Reading stored chunks back, as restores and random access (StoredDisk) both do: the blob read
 * from its pack, then decrypted, decompressed and checked against its id in a worker. A chunk that
 * is missing or does not verify is a CorruptDataError naming where in the disk it was wanted.
 */
import { CorruptDataError } from "../common/errors.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { PackReader } from "../repository/pack-reader.js";
import type { Repository } from "../repository/repository.js";
import { GarbageBudget } from "../workers/garbage.js";
import { ChunkBufferPool } from "../workers/buffer-pool.js";
import { CodecPool } from "../workers/pool.js";

/** Workers to open and verify chunks, and open packs to read them from. */
export interface ChunkReading {
  pool: CodecPool;
  packs: PackReader;
  garbage: GarbageBudget;
  /** Buffers that stored blobs are read into, reused from chunk to chunk. */
  storedBuffers: ChunkBufferPool;
  /** Buffers for plaintext that the caller gives back (see releaseChunk). */
  plaintextBuffers: ChunkBufferPool;
}

export function openChunkReading(repo: Repository, workers: number): ChunkReading {
  return {
    pool: new CodecPool(repo.keys, workers),
    packs: new PackReader(repo.path),
    garbage: new GarbageBudget(),
    // A chunk as stored is at most its plaintext (kept uncompressed) plus the seal.
    storedBuffers: new ChunkBufferPool(repo.config.chunkSize + repo.sealer.overhead),
    plaintextBuffers: new ChunkBufferPool(repo.config.chunkSize),
  };
}

export async function closeChunkReading(reading: ChunkReading): Promise<void> {
  await reading.pool.close();
  await reading.packs.close();
}

/**
 * The verified plaintext of chunk `id`; `where` ("disk 0 (sda) … at offset N") names it in errors.
 *
 * With `recycle`, the plaintext is written into a buffer of the reading's own, which the caller
 * gives back with releaseChunk once done with it: a restore then allocates a fixed set of buffers
 * instead of a megabyte per chunk (each one page faults in, is copied out of at half speed when
 * not page-aligned, and leaves garbage that only a full collection frees). Without it, the buffer
 * is the caller's to keep (StoredDisk caches chunks).
 */
export async function readChunk(
  reading: ChunkReading,
  index: ChunkIndex,
  id: Buffer,
  where: string,
  recycle = false,
): Promise<Buffer> {
  const name = `chunk ${id.toString("hex").slice(0, 16)}…`;
  const loc = index.get(id);
  if (!loc) throw new CorruptDataError(`${where}: ${name} is missing from the repository`);
  try {
    const fits =
      loc.storedLength <= reading.storedBuffers.capacity &&
      loc.rawLength <= reading.plaintextBuffers.capacity;
    const storedBuffer = fits ? reading.storedBuffers.take(loc.storedLength) : undefined;
    const stored = await reading.packs.read(loc, storedBuffer);
    const into = recycle && fits ? reading.plaintextBuffers.take(loc.rawLength) : undefined;
    if (!into) reading.garbage.spend(loc.rawLength);
    const decoded = await reading.pool.decode(stored, loc.compression, loc.rawLength, id, name, into);
    // An unencrypted, uncompressed chunk read without `into` is a view of its stored bytes:
    // that buffer goes back to the pool only when the plaintext lives elsewhere.
    if (decoded.plaintext.buffer !== decoded.stored.buffer) reading.storedBuffers.give(decoded.stored);
    return decoded.plaintext;
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${where}: ${err.message}`);
    throw err;
  }
}

/** Gives back a chunk that readChunk returned with `recycle`, once it is written. */
export function releaseChunk(reading: ChunkReading, plaintext: Buffer): void {
  reading.plaintextBuffers.give(plaintext);
}
