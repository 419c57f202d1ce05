/**
 * Services that look after a repository: check, forget, prune, stats, unlock, rebuild-index.
 * Those that delete or judge the whole repository take the exclusive lock.
 */
import { checkRepository, type CheckReport } from "../engines/check.js";
import type { ProgressListener } from "../engines/progress.js";
import { pruneRepository, type PruneReport } from "../engines/prune.js";
import { ChunkIndex } from "../repository/chunk-index.js";
import { BlobType } from "../repository/file-formats.js";
import { removeLocks, type LockInfo } from "../repository/lock.js";
import { assertMayRemove } from "../repository/append-only.js";
import { sourceKey } from "../repository/restore-point.js";
import { Repository } from "../repository/repository.js";
import { readConfig } from "../repository/config.js";
import { applyRetention, type RetentionDecision, type RetentionPolicy } from "../repository/retention.js";
import { removeDurably } from "../repository/durable-fs.js";
import type { RepoRef } from "./repository-service.js";

export type { CheckReport, PruneReport };

async function withExclusiveLock<T>(
  request: RepoRef,
  operation: string,
  work: (repo: Repository) => Promise<T>,
): Promise<T> {
  const repo = await Repository.open(request.repo, request.password);
  const lock = await repo.lock("exclusive", operation);
  try {
    return await work(repo);
  } finally {
    await lock.release();
  }
}

export function check(
  request: RepoRef & { readData: boolean; onProgress?: ProgressListener },
): Promise<CheckReport> {
  return withExclusiveLock(request, "check", (repo) =>
    checkRepository(repo, request.readData, request.onProgress),
  );
}

export interface ForgetResult {
  keep: RetentionDecision[];
  remove: RetentionDecision[];
}

export function forget(
  request: RepoRef & {
    policy: RetentionPolicy;
    dryRun: boolean;
    /** Only the restore points of these machines (a job's own); all when absent. */
    sourceKeys?: readonly string[];
  },
): Promise<ForgetResult> {
  return withExclusiveLock(request, "forget", async (repo) => {
    const listed = (await repo.listRestorePoints()).points;
    const only = request.sourceKeys ? new Set(request.sourceKeys) : undefined;
    const points = only ? listed.filter((p) => only.has(sourceKey(p.source))) : listed;
    const decisions = applyRetention(points, request.policy);
    const remove = decisions.filter((d) => !d.keep);
    // Refused before the first deletion, not after some: append-only leaves the set whole.
    if (!request.dryRun && remove.length > 0)
      await assertMayRemove(repo, "forget", `${remove.length} restore point(s)`);
    if (!request.dryRun) for (const d of remove) await repo.deleteRestorePoint(d.id);
    return { keep: decisions.filter((d) => d.keep), remove };
  });
}

export function prune(request: RepoRef): Promise<PruneReport> {
  return withExclusiveLock(request, "prune", async (repo) => {
    await assertMayRemove(repo, "prune");
    return pruneRepository(repo);
  });
}

/** Recreates the index from the packs' own tables (after an index file was lost or damaged). */
export function rebuildIndex(request: RepoRef): Promise<{ packs: number; blobs: number; skipped: number }> {
  return withExclusiveLock(request, "rebuild-index", async (repo) => {
    const old = await repo.listIndexFiles();
    const index = new ChunkIndex();
    const packs = await repo.indexOrphanPacks(index);
    const onDisk = await repo.listPacks();
    const name = await repo.writeIndexFile(packs);
    for (const file of old) if (file !== name) await removeDurably(`${repo.dir("index")}/${file}`);
    return { packs: packs.length, blobs: index.size, skipped: onDisk.size - packs.length };
  });
}

export interface RepositoryStats {
  id: string;
  path: string;
  encryption: string;
  chunkSize: number;
  restorePoints: number;
  logicalBytes: number;
  chunks: number;
  chunkBytes: number;
  packs: number;
  packBytes: number;
}

export async function stats(request: RepoRef): Promise<RepositoryStats> {
  const repo = await Repository.open(request.repo, request.password);
  const { points } = await repo.listRestorePoints();
  const index = await repo.loadIndex();
  let chunks = 0;
  let chunkBytes = 0;
  for (const [, loc] of index.entries()) {
    if (loc.type !== BlobType.data) continue;
    chunks++;
    chunkBytes += loc.rawLength;
  }
  const packs = index.packs();
  return {
    id: repo.config.id,
    path: repo.path,
    encryption: repo.config.encryption,
    chunkSize: repo.config.chunkSize,
    restorePoints: points.length,
    logicalBytes: points.reduce((s, p) => s + p.disks.reduce((t, d) => t + d.size, 0), 0),
    chunks,
    chunkBytes,
    packs: packs.length,
    packBytes: packs.reduce((s, p) => s + p.size, 0),
  };
}

export async function unlock(repoPath: string, all: boolean): Promise<LockInfo[]> {
  await readConfig(repoPath); // removing locks needs no password, only a real repository
  return removeLocks(repoPath, all);
}
