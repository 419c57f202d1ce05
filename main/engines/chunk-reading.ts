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
import { CodecPool } from "../workers/pool.js";

/** Workers to open and verify chunks, and open packs to read them from. */
export interface ChunkReading {
  pool: CodecPool;
  packs: PackReader;
  garbage: GarbageBudget;
}

export function openChunkReading(repo: Repository, workers: number): ChunkReading {
  return {
    pool: new CodecPool(repo.keys, workers),
    packs: new PackReader(repo.path),
    garbage: new GarbageBudget(),
  };
}

export async function closeChunkReading(reading: ChunkReading): Promise<void> {
  await reading.pool.close();
  await reading.packs.close();
}

/** The verified plaintext of chunk `id`; `where` ("disk 0 (sda) … at offset N") names it in errors. */
export async function readChunk(
  reading: ChunkReading,
  index: ChunkIndex,
  id: Buffer,
  where: string,
): Promise<Buffer> {
  const name = `chunk ${id.toString("hex").slice(0, 16)}…`;
  const loc = index.get(id);
  if (!loc) throw new CorruptDataError(`${where}: ${name} is missing from the repository`);
  try {
    const stored = await reading.packs.read(loc);
    reading.garbage.spend(loc.rawLength);
    return await reading.pool.decode(stored, loc.compression, loc.rawLength, id, name);
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${where}: ${err.message}`);
    throw err;
  }
}
