/**
 * Writes blobs into packs for one operation (a backup, or the repack step of prune).
 *
 * Blobs are appended to the current pack until it reaches PACK_TARGET_SIZE; then the pack is made
 * durable and its blobs enter the in-memory index. `flush()` closes the current pack and writes
 * an index file for every pack closed since the last flush: after it returns, everything added
 * so far is durable and findable. Adds are serialised, so callers may call `add` concurrently.
 */
import type { EncodedBlob } from "./blob-codec.js";
import type { ChunkIndex } from "./chunk-index.js";
import { PACK_TARGET_SIZE, type BlobType } from "./file-formats.js";
import type { IndexedPack } from "./index-file.js";
import { PackWriter } from "./pack-file.js";
import type { Repository } from "./repository.js";

export class BlobWriter {
  private current: PackWriter | undefined;
  private readonly inCurrent = new Set<string>();
  private unindexed: IndexedPack[] = [];
  private queue: Promise<void> = Promise.resolve();
  bytesStored = 0;
  blobsStored = 0;

  constructor(
    private readonly repo: Repository,
    private readonly index: ChunkIndex,
  ) {}

  /** True when the blob is already in the repository or in the pack being written. */
  known(id: Buffer): boolean {
    return this.index.has(id) || this.inCurrent.has(id.toString("hex"));
  }

  add(type: BlobType, id: Buffer, rawLength: number, blob: EncodedBlob): Promise<void> {
    return this.serialised(async () => {
      if (this.known(id)) return;
      this.current ??= await PackWriter.create(this.repo.path, this.repo.sealer);
      await this.current.add(type, id, rawLength, blob);
      this.inCurrent.add(id.toString("hex"));
      this.bytesStored += blob.stored.length;
      this.blobsStored++;
      if (this.current.bytesWritten >= PACK_TARGET_SIZE) await this.closePack();
    });
  }

  /** Makes every blob added so far durable and indexed (pack closed, index file written). */
  flush(): Promise<void> {
    return this.serialised(async () => {
      await this.closePack();
      await this.repo.writeIndexFile(this.unindexed);
      this.unindexed = [];
    });
  }

  /** Discards the pack being written (on failure or cancel); closed packs stay, as orphans. */
  async abort(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.current?.abort();
    this.current = undefined;
    this.inCurrent.clear();
  }

  private async closePack(): Promise<void> {
    const writer = this.current;
    if (!writer) return;
    this.current = undefined;
    let pack;
    try {
      pack = await writer.finish();
    } catch (err) {
      await writer.abort();
      throw err;
    }
    this.index.addPack(pack.id, pack.size, pack.entries);
    this.unindexed.push(pack);
    this.inCurrent.clear();
  }

  private serialised(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    // A failed step fails every later one too: a pack with a hole in it must never be closed.
    this.queue = next;
    return next;
  }
}
