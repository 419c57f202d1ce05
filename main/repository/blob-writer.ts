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

/** Packs being made durable at once; more would only queue behind the same disk. */
const MAX_CLOSING_PACKS = 2;

export class BlobWriter {
  private current: PackWriter | undefined;
  private currentIds = new Set<string>();
  /** Ids in the current pack and in packs still closing: known, though not yet indexed. */
  private readonly pendingIds = new Set<string>();
  private closing: Promise<void>[] = [];
  private closeFailure: unknown;
  private unindexed: IndexedPack[] = [];
  private queue: Promise<void> = Promise.resolve();
  bytesStored = 0;
  blobsStored = 0;

  constructor(
    private readonly repo: Repository,
    private readonly index: ChunkIndex,
  ) {}

  /** True when the blob is already in the repository or in a pack being written. */
  known(id: Buffer): boolean {
    return this.index.has(id) || this.pendingIds.has(id.toString("hex"));
  }

  add(type: BlobType, id: Buffer, rawLength: number, blob: EncodedBlob): Promise<void> {
    return this.serialised(async () => {
      if (this.closeFailure !== undefined) throw this.closeFailure;
      if (this.known(id)) return;
      this.current ??= await PackWriter.create(this.repo.path, this.repo.sealer);
      await this.current.add(type, id, rawLength, blob);
      const key = id.toString("hex");
      this.currentIds.add(key);
      this.pendingIds.add(key);
      this.bytesStored += blob.stored.length;
      this.blobsStored++;
      if (this.current.bytesWritten >= PACK_TARGET_SIZE) await this.startClosing();
    });
  }

  /** Makes every blob added so far durable and indexed (packs closed, index file written). */
  flush(): Promise<void> {
    return this.serialised(async () => {
      await this.startClosing();
      const closing = this.closing;
      this.closing = [];
      await Promise.all(closing);
      if (this.closeFailure !== undefined) throw this.closeFailure;
      await this.repo.writeIndexFile(this.unindexed);
      this.unindexed = [];
    });
  }

  /** Discards the pack being written (on failure or cancel); closed packs stay, as orphans. */
  async abort(): Promise<void> {
    await this.queue.catch(() => undefined);
    await this.current?.abort();
    this.current = undefined;
    await Promise.allSettled(this.closing);
    this.closing = [];
  }

  /**
   * Closes the current pack (fsync and rename) in the background, so that the next blobs go on
   * into a new pack while the disk syncs the old one.
   */
  private async startClosing(): Promise<void> {
    const writer = this.current;
    if (!writer) return;
    this.current = undefined;
    const ids = this.currentIds;
    this.currentIds = new Set();
    if (this.closing.length >= MAX_CLOSING_PACKS) await this.closing.shift();
    const closed = writer.finish().then(
      (pack) => {
        this.index.addPack(pack.id, pack.size, pack.entries);
        this.unindexed.push(pack);
        for (const id of ids) this.pendingIds.delete(id);
      },
      async (err: unknown) => {
        await writer.abort();
        this.closeFailure ??= err;
      },
    );
    this.closing.push(closed);
  }

  private serialised(step: () => Promise<void>): Promise<void> {
    const next = this.queue.then(step);
    // A failed step fails every later one too: a pack with a hole in it must never be closed.
    this.queue = next;
    return next;
  }
}
