/**
 * Backup copy (the "1" off-site in 3-2-1): restore points of one repository sent to another. The
 * target keeps its own key: every chunk is decrypted from the source and sealed again for the
 * target, and only chunks the target lacks are written. A copy is a backup whose source is a
 * restore point (sources/restore-point-source.ts), so it gets the backup engine's guarantees: the
 * restore point appears in the target atomically, a killed copy resumes from its checkpoint, and
 * a copy of a machine the target already has reads only what changed.
 */
import { SnapferryError } from "../common/errors.js";
import { runBackup } from "../engines/backup.js";
import type { ProgressListener } from "../engines/progress.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import type { Checkpoint } from "../repository/checkpoint.js";
import { Repository } from "../repository/repository.js";
import { sourceKey, type RestorePoint } from "../repository/restore-point.js";
import { restorePointSource } from "../sources/restore-point-source.js";
import { findParent, type RepoRef } from "./repository-service.js";

export interface CopyRequest {
  from: RepoRef;
  to: RepoRef;
  /** Restore points to copy (ids, prefixes or "latest"); every one the target lacks when absent. */
  restorePoints?: string[];
  onProgress?: ProgressListener;
  onNote?: (note: string) => void;
  /** Hears each restore point as it is copied (or found already there). */
  onCopied?: (result: CopiedRestorePoint) => void;
  signal?: AbortSignal;
}

export interface CopiedRestorePoint {
  id: string;
  time: string;
  source: string;
  /** False when the target already had it: nothing was moved. */
  copied: boolean;
  bytesRead: number;
  bytesStored: number;
}

export async function copyRestorePoints(request: CopyRequest): Promise<CopiedRestorePoint[]> {
  const from = await Repository.open(request.from.repo, request.from.password);
  const to = await Repository.open(request.to.repo, request.to.password);
  if (from.config.id === to.config.id) {
    throw new SnapferryError(
      "usage",
      `${request.from.repo} and ${request.to.repo} are the same repository (id ${from.config.id})`,
      "A copy needs a second repository: another disk, a NAS share or a USB disk.",
    );
  }
  const note = request.onNote ?? (() => undefined);
  const fromLock = await from.lock("shared", "copy (source)");
  try {
    const toLock = await to.lock("shared", "copy (target)");
    try {
      await to.cleanTemporaryFiles(false);
      const wanted = await selectRestorePoints(from, request.restorePoints);
      const present = new Set(await to.listRestorePointIds());
      const fromIndex = await from.loadIndex();
      const results: CopiedRestorePoint[] = [];
      for (const rp of wanted) {
        if (request.signal?.aborted) throw new SnapferryError("cancelled", "the copy was cancelled");
        const result = present.has(rp.id)
          ? {
              id: rp.id,
              time: rp.time,
              source: rp.source.location,
              copied: false,
              bytesRead: 0,
              bytesStored: 0,
            }
          : await copyOne(from, fromIndex, to, rp, request, note);
        results.push(result);
        request.onCopied?.(result);
      }
      return results;
    } finally {
      await toLock.release();
    }
  } finally {
    await fromLock.release();
  }
}

async function selectRestorePoints(repo: Repository, refs: string[] | undefined): Promise<RestorePoint[]> {
  if (refs && refs.length > 0) {
    const chosen = await Promise.all(refs.map((ref) => repo.resolveRestorePoint(ref)));
    return [...new Map(chosen.map((rp) => [rp.id, rp])).values()].sort((a, b) =>
      a.time.localeCompare(b.time),
    );
  }
  const { points, damaged } = await repo.listRestorePoints();
  if (damaged.length > 0) {
    throw new SnapferryError(
      "corrupt-data",
      `${damaged.length} restore point(s) of the source cannot be read (${damaged.map((d) => d.id.slice(0, 8)).join(", ")})`,
      "Run `snapferry check` on the source, or name the restore points to copy.",
    );
  }
  return points; // oldest first, so each copy finds its predecessor in the target
}

async function copyOne(
  from: Repository,
  fromIndex: ChunkIndex,
  to: Repository,
  rp: RestorePoint,
  request: CopyRequest,
  note: (text: string) => void,
): Promise<CopiedRestorePoint> {
  const source = restorePointSource({ repo: from, index: fromIndex, restorePoint: rp });
  try {
    const key = sourceKey(rp.source);
    const index = await to.loadIndex();
    const checkpoint = await resumable(to, key, source.fingerprint, note);
    if (checkpoint) await to.writeIndexFile(await to.indexOrphanPacks(index));
    const parent = await findParent(to, key, checkpoint?.parent ?? undefined, false);
    if (source.useParent) await source.useParent(parent, note);
    const copied = await runBackup({
      repo: to,
      index,
      source,
      parent,
      type: rp.type,
      copyOf: rp,
      resumeFrom: checkpoint ?? null,
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const sum = (f: (s: RestorePoint["disks"][number]["stats"]) => number): number =>
      copied.disks.reduce((n, d) => n + f(d.stats), 0);
    return {
      id: rp.id,
      time: rp.time,
      source: rp.source.location,
      copied: true,
      bytesRead: sum((s) => s.bytesRead),
      bytesStored: sum((s) => s.bytesStored),
    };
  } finally {
    await source.close();
  }
}

/** The checkpoint of an interrupted copy of this very restore point, if that is what it is. */
async function resumable(
  to: Repository,
  key: string,
  fingerprint: string,
  note: (text: string) => void,
): Promise<Checkpoint | undefined> {
  const checkpoint = await to.readCheckpoint(key);
  if (!checkpoint) return undefined;
  if (checkpoint.fingerprint === fingerprint) {
    note(`resuming the interrupted copy of ${fingerprint.slice(5, 13)}`);
    return checkpoint;
  }
  note(
    `an interrupted backup or copy of ${checkpoint.source.location} in the target is set aside; this copy starts over`,
  );
  return undefined;
}

/** `copy --latest`: the newest restore point of each machine or image in the source. */
export async function latestOfEachSource(from: RepoRef): Promise<string[]> {
  const repo = await Repository.open(from.repo, from.password);
  const { points } = await repo.listRestorePoints();
  const newest = new Map<string, RestorePoint>();
  for (const rp of points) newest.set(sourceKey(rp.source), rp); // oldest first: the last one wins
  if (newest.size === 0)
    throw new SnapferryError("not-found", `repository ${from.repo} has no restore points`);
  return [...newest.values()].map((rp) => rp.id);
}
