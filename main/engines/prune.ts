/**
 * `prune`: frees the space of blobs that no restore point (and no checkpoint) uses.
 *
 * The order of steps is what makes a kill at any moment safe:
 *   1. take in orphan packs, mark every blob reachable from restore points and checkpoints;
 *   2. copy the used blobs of mostly-unused packs into new packs, and write their index file;
 *   3. write one index file for every pack that stays as it is;
 *   4. only then delete the old index files, and last the packs that are no longer needed.
 * Until step 4 every needed blob is reachable through the old files; from step 3 on, through the
 * new ones. A pack is never deleted while an index file still names it.
 */
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import { decodeBlob } from "../repository/blob-codec.js";
import { BlobWriter } from "../repository/blob-writer.js";
import { ChunkIndex, type BlobLocation } from "../repository/chunk-index.js";
import { HOLE_ID } from "../repository/file-formats.js";
import type { IndexedPack } from "../repository/index-file.js";
import { packPath } from "../repository/pack-file.js";
import type { PackEntry } from "../repository/pack-table.js";
import { removeDurably } from "../repository/durable-fs.js";
import type { Repository } from "../repository/repository.js";

/** A pack with at least this share of unused bytes is rewritten; below it, it is left alone. */
const REPACK_UNUSED_SHARE = 0.05;

export interface PruneReport {
  packsKept: number;
  packsRemoved: number;
  packsRepacked: number;
  blobsRemoved: number;
  bytesFreed: number;
  orphanPacks: number;
}

interface PackUsage {
  id: string;
  size: number;
  entries: PackEntry[];
  used: { id: Buffer; loc: BlobLocation }[];
  unusedBytes: number;
  totalBlobs: number;
}

export async function pruneRepository(repo: Repository): Promise<PruneReport> {
  await repo.cleanTemporaryFiles(true);
  const oldIndexFiles = await repo.listIndexFiles();
  // The index finds each blob in one pack; `contents` says what each pack holds, copies of blobs
  // also stored elsewhere included (left by an interrupted backup or prune, see packUsage).
  const index = new ChunkIndex();
  const contents = new Map<string, IndexedPack>();
  for (const name of oldIndexFiles) {
    for (const pack of await repo.readIndexFile(name)) {
      index.addPack(pack.id, pack.size, pack.entries);
      addContents(contents, pack);
    }
  }
  const orphans = await repo.indexOrphanPacks(index);
  for (const pack of orphans) addContents(contents, pack);
  const used = await markUsed(repo, index);
  const usage = packUsage([...contents.values()], index, used);

  const keep = usage.filter((p) => p.used.length > 0 && p.unusedBytes < p.size * REPACK_UNUSED_SHARE);
  const repack = usage.filter((p) => p.used.length > 0 && !keep.includes(p));
  const drop = usage.filter((p) => !keep.includes(p));

  // Step 2: rewrite what is still used in the packs we drop.
  const fresh = new ChunkIndex();
  for (const p of keep) fresh.addPack(p.id, p.size, p.entries);
  const writer = new BlobWriter(repo, fresh);
  try {
    for (const p of repack) {
      for (const { id, loc } of p.used) {
        const stored = await repo.readStoredBlob(loc);
        // Re-verify before copying: a damaged blob must not be given a fresh, valid-looking home.
        decodeBlob(
          repo.sealer,
          stored,
          loc.compression,
          loc.rawLength,
          id,
          `blob ${id.toString("hex").slice(0, 16)}…`,
        );
        await writer.add(loc.type, id, loc.rawLength, { stored, compression: loc.compression });
      }
    }
    await writer.flush();
  } catch (err) {
    await writer.abort();
    throw err;
  }
  const newIndexFiles = new Set(await repo.listIndexFiles());
  for (const name of oldIndexFiles) newIndexFiles.delete(name);

  // Step 3: one index file for the packs that stay.
  const kept: IndexedPack[] = keep.map((p) => ({ id: p.id, size: p.size, entries: p.entries }));
  const keptName = await repo.writeIndexFile(kept);
  if (keptName) newIndexFiles.add(keptName);

  // Step 4: old index files, then unneeded packs.
  for (const name of oldIndexFiles) {
    if (!newIndexFiles.has(name)) await removeDurably(`${repo.dir("index")}/${name}`);
  }
  for (const p of drop) await removeDurably(packPath(repo.path, p.id));

  return {
    packsKept: keep.length,
    packsRemoved: drop.length,
    packsRepacked: repack.length,
    blobsRemoved: drop.reduce((n, p) => n + p.totalBlobs, 0) - repack.reduce((n, p) => n + p.used.length, 0),
    bytesFreed: drop.reduce((n, p) => n + p.size, 0) - (writer.bytesStored > 0 ? writer.bytesStored : 0),
    orphanPacks: orphans.length,
  };
}

/** Every blob id reachable from restore points and checkpoints. Refuses if a root is unreadable. */
async function markUsed(repo: Repository, index: ChunkIndex): Promise<Set<string>> {
  const used = new Set<string>();
  const { points, damaged } = await repo.listRestorePoints();
  if (damaged.length > 0) {
    throw new SnapferryError(
      "corrupt-data",
      `restore point ${damaged[0]?.id} cannot be read (${damaged[0]?.error.message}); prune stopped so as not to delete data it may need`,
      "Run `snapferry check` and remove or repair the damaged restore point first.",
    );
  }
  const roots: { label: string; segments: string[] }[] = [];
  for (const rp of points)
    for (const d of rp.disks)
      roots.push({ label: `restore point ${rp.id.slice(0, 8)} disk ${d.index}`, segments: d.segments });
  for (const cp of await repo.listCheckpoints()) {
    for (const d of cp.disks)
      roots.push({ label: `checkpoint of ${cp.source.location}`, segments: d.segments });
  }
  for (const root of roots) {
    for (const [seg, segId] of root.segments.entries()) {
      used.add(segId);
      const ids = await repo.readChunkList(index, segId, `${root.label} chunk list ${seg}`);
      for (const id of ids) {
        if (id.equals(HOLE_ID)) continue;
        if (!index.has(id)) {
          throw new CorruptDataError(
            `${root.label} needs chunk ${id.toString("hex").slice(0, 16)}… that is not in the repository; prune stopped`,
            "Run `snapferry check --read-data` to see what is damaged.",
          );
        }
        used.add(id.toString("hex"));
      }
    }
  }
  return used;
}

/** Records what a pack holds; a pack named by several index files holds what any of them says. */
function addContents(contents: Map<string, IndexedPack>, pack: IndexedPack): void {
  const known = contents.get(pack.id);
  if (!known) {
    contents.set(pack.id, { id: pack.id, size: pack.size, entries: [...pack.entries] });
    return;
  }
  const offsets = new Set(known.entries.map((e) => e.offset));
  for (const e of pack.entries) if (!offsets.has(e.offset)) known.entries.push(e);
}

/**
 * How much of each pack is used. A blob counts as used only in the pack where the index finds
 * it: another copy of it (in the pack of a killed backup whose blobs a later backup stored again,
 * or in a pack an interrupted prune had already rewritten) is waste, like an unused blob. So a
 * pack of nothing but such copies is dropped, and one with many of them rewritten, rather than
 * kept for ever.
 */
function packUsage(packs: IndexedPack[], index: ChunkIndex, used: Set<string>): PackUsage[] {
  return packs.map((pack) => {
    const usage: PackUsage = {
      id: pack.id,
      size: pack.size,
      entries: pack.entries,
      used: [],
      unusedBytes: 0,
      totalBlobs: pack.entries.length,
    };
    for (const e of pack.entries) {
      const loc = index.get(e.id);
      if (loc && loc.packId === pack.id && loc.offset === e.offset && used.has(e.id.toString("hex")))
        usage.used.push({ id: e.id, loc });
      else usage.unusedBytes += e.storedLength;
    }
    return usage;
  });
}
