/**
 * Opens one disk of a restore point for random access (file-level restore, instant recovery,
 * verification). The repository's shared lock is held until `close`, so that prune cannot
 * delete a pack while it is being read.
 */
import { SnapferryError } from "../common/errors.js";
import { StoredDisk } from "../engines/stored-disk.js";
import type { RepositoryLock } from "../repository/lock.js";
import { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import type { RepoRef } from "./repository-service.js";

export interface StoredDiskRequest extends RepoRef {
  restorePoint: string;
  /** The disk's index in the restore point; the first disk when absent. */
  disk?: number;
  /** What the lock file says is going on ("file restore", "instant recovery"…). */
  operation: string;
}

export interface OpenedStoredDisk {
  repo: Repository;
  restorePoint: RestorePoint;
  record: DiskRecord;
  disk: StoredDisk;
  close(): Promise<void>;
}

export function pickDisk(rp: RestorePoint, index: number | undefined): DiskRecord {
  const record = index === undefined ? rp.disks[0] : rp.disks.find((d) => d.index === index);
  if (!record) {
    throw new SnapferryError(
      "not-found",
      index === undefined
        ? `restore point ${rp.id.slice(0, 8)} has no disks`
        : `restore point ${rp.id.slice(0, 8)} has no disk ${index}`,
      rp.disks.length > 0 ? `Its disks are ${rp.disks.map((d) => d.index).join(", ")}.` : undefined,
    );
  }
  return record;
}

export async function openStoredDisk(request: StoredDiskRequest): Promise<OpenedStoredDisk> {
  const repo = await Repository.open(request.repo, request.password);
  const restorePoint = await repo.resolveRestorePoint(request.restorePoint);
  const record = pickDisk(restorePoint, request.disk);
  const lock: RepositoryLock = await repo.lock("shared", request.operation);
  try {
    const index = await repo.loadIndex();
    const disk = StoredDisk.open({ repo, index, restorePoint, disk: record });
    let closed = false;
    return {
      repo,
      restorePoint,
      record,
      disk,
      async close() {
        if (closed) return;
        closed = true;
        try {
          await disk.close();
        } finally {
          await lock.release();
        }
      },
    };
  } catch (err) {
    await lock.release();
    throw err;
  }
}
