/**
 * Restore verification: proof, before the day it is needed, that a restore point restores. For
 * each disk it reads every stored chunk back (as `check --read-data` does, but only this restore
 * point's chunks), then opens the disk's partitions and file systems through the file-level
 * restore layer and checks them (verify-file-systems.ts). The callers record the outcome in the
 * catalog, where a failed restore point is shown in red with the reason.
 */
import { SnapferryError } from "../common/errors.js";
import { ProgressMeter, type ProgressListener } from "../engines/progress.js";
import { readEveryChunk } from "../engines/read-every-chunk.js";
import { StoredDisk } from "../engines/stored-disk.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { Repository } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import type { RepoRef } from "./repository-service.js";
import { verifyFileSystems, type FileSystemVerification } from "./verify-file-systems.js";

export interface VerifyRequest extends RepoRef {
  /** One restore point (id or prefix, or "latest"); every restore point when absent. */
  restorePoint?: string;
  /** Where partitions are materialised for the file-system checks; the OS temp folder when absent. */
  tempDir?: string;
  sevenZipPath?: string;
  onProgress?: ProgressListener;
  /** Called as each restore point is done, so a long run reports (and records) as it goes. */
  onResult?: (result: RestorePointVerification) => void;
  signal?: AbortSignal;
}

export interface DiskVerification {
  index: number;
  name: string;
  size: number;
  bytesRead: number;
  /** Damaged chunks, each naming the disk and offset. */
  problems: string[];
  fileSystems: FileSystemVerification[];
}

export interface RestorePointVerification {
  repositoryId: string;
  restorePoint: string;
  time: string;
  at: string;
  ok: boolean;
  /** Why it failed, in one line (the first problem, and how many more); null when ok. */
  reason: string | null;
  disks: DiskVerification[];
}

export async function verify(request: VerifyRequest): Promise<RestorePointVerification[]> {
  const repo = await Repository.open(request.repo, request.password);
  const points = request.restorePoint
    ? [await repo.resolveRestorePoint(request.restorePoint)]
    : (await repo.listRestorePoints()).points;
  const results: RestorePointVerification[] = [];
  const total = points.reduce((sum, rp) => sum + rp.disks.reduce((s, d) => s + d.size, 0), 0);
  const meter = new ProgressMeter("verify", total, request.onProgress);
  const lock = await repo.lock("shared", "verify");
  try {
    const index = await repo.loadIndex();
    for (const rp of points) {
      const result = await verifyOne(repo, index, rp, request, meter);
      results.push(result);
      request.onResult?.(result);
    }
  } finally {
    await lock.release();
  }
  meter.finish();
  return results;
}

async function verifyOne(
  repo: Repository,
  index: ChunkIndex,
  rp: RestorePoint,
  request: VerifyRequest,
  meter: ProgressMeter,
): Promise<RestorePointVerification> {
  const disks: DiskVerification[] = [];
  for (const record of rp.disks) {
    meter.startDisk(record.index, record.name, record.size);
    const disk = StoredDisk.open({ repo, index, restorePoint: rp, disk: record });
    let read;
    try {
      read = await readEveryChunk(disk, meter, request.signal);
    } finally {
      await disk.close();
    }
    const problems = [...read.problems];
    if (read.moreProblems > 0) problems.push(`and ${read.moreProblems} more damaged chunks on this disk`);
    // A disk with damaged chunks is already failed; its file systems would only add noise.
    const fileSystems =
      problems.length === 0 ? await verifyFileSystems(request, rp, record.index, request.signal) : [];
    disks.push({
      index: record.index,
      name: record.name,
      size: record.size,
      bytesRead: read.bytesRead,
      problems,
      fileSystems,
    });
  }
  if (request.signal?.aborted) throw new SnapferryError("cancelled", "the verification was cancelled");
  const reasons = disks.flatMap((d) => [
    ...d.problems,
    ...d.fileSystems.flatMap((f) =>
      f.problem ? [`disk ${d.index} partition ${f.partition}: ${f.problem}`] : [],
    ),
  ]);
  const first = reasons[0];
  return {
    repositoryId: repo.config.id,
    restorePoint: rp.id,
    time: rp.time,
    at: new Date().toISOString(),
    ok: first === undefined,
    reason:
      first === undefined
        ? null
        : reasons.length > 1
          ? `${first} (and ${reasons.length - 1} more problems)`
          : first,
    disks,
  };
}
