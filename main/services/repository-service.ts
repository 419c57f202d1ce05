/**
 * The service layer: what every door (the CLI now; Electron IPC and the loopback bridge later)
 * calls. Services take plain arguments, report progress through callbacks and throw
 * SnapferryErrors; they never print, prompt or exit.
 */
import { mkdir, statfs } from "node:fs/promises";
import path from "node:path";
import { SnapferryError } from "../common/errors.js";
import { runBackup } from "../engines/backup.js";
import { readChangedRanges, type ByteRange } from "../engines/changed-ranges.js";
import { formatBytes } from "../common/size.js";
import type { PhaseListener, ProgressListener } from "../engines/progress.js";
import { restoreDisk } from "../engines/restore.js";
import { canRevalidate, revalidateCheckpoint } from "../engines/resume-check.js";
import type { Checkpoint } from "../repository/checkpoint.js";
import type { EncryptionMode } from "../repository/config.js";
import { Repository, type PasswordProvider } from "../repository/repository.js";
import { sourceKey, type RestorePoint } from "../repository/restore-point.js";
import type { BackupSource } from "../sources/disk-source.js";
import { openBackupSource } from "../sources/open-source.js";
import type { WriteFormat } from "../formats/disk-image.js";
import { vmDiskPath, vmFolderFormat, writeRestoredVm } from "./vm-folder-restore.js";

export interface RepoRef {
  repo: string;
  password?: PasswordProvider;
}

export interface RestorePointSummary {
  id: string;
  time: string;
  source: string;
  sourceKind: string;
  vm: { uuid: string; name: string } | null;
  type: RestorePoint["type"];
  consistency: RestorePoint["consistency"];
  parent: string | null;
  tool: string;
  host: string;
  disks: { index: number; name: string; size: number }[];
}

export function summarize(rp: RestorePoint): RestorePointSummary {
  return {
    id: rp.id,
    time: rp.time,
    source: rp.source.location,
    sourceKind: rp.source.kind,
    vm: rp.source.vm ?? null,
    type: rp.type,
    consistency: rp.consistency,
    parent: rp.parent,
    tool: rp.tool,
    host: rp.host,
    disks: rp.disks.map((d) => ({ index: d.index, name: d.name, size: d.size })),
  };
}

export async function initRepository(
  options: RepoRef & { encryption: EncryptionMode; chunkSize: number },
): Promise<{ id: string; path: string; encryption: EncryptionMode; chunkSize: number }> {
  const repo = await Repository.init(options.repo, {
    encryption: options.encryption,
    chunkSize: options.chunkSize,
    ...(options.password ? { password: options.password } : {}),
  });
  return {
    id: repo.config.id,
    path: repo.path,
    encryption: repo.config.encryption,
    chunkSize: repo.config.chunkSize,
  };
}

export interface BackupRequest extends RepoRef {
  source: string;
  changedRangesFile?: string;
  /**
   * What to do with the checkpoint of an interrupted backup of the same source. `true` (the CLI's
   * --resume) continues it, and says so when there is none. "if-interrupted" (the app, where the
   * next backup is how a user resumes) continues it when it fits the kind of backup asked for and
   * starts a new one quietly otherwise. Absent or `false` starts over, with a note.
   */
  resume?: boolean | "if-interrupted";
  /** Read and store everything, without a parent restore point. */
  full?: boolean;
  /**
   * The kind of backup, for sources with changed-block tracking: "incremental" (the default) to
   * the newest restore point, "differential" to the newest full one, "full" without a parent
   * (only allocated areas read where the source knows them), "active-full" reading everything.
   */
  type?: BackupKind;
  /** Opens SOURCE; connectors that need credentials (vSphere) come in through here. */
  openSource?: (location: string) => Promise<BackupSource>;
  onProgress?: ProgressListener;
  /**
   * Hears each phase as it starts: "pre-check", then "transfer" and "commit" from the engine; a
   * source with a snapshot reports "snapshot" and "snapshot-removal" through the same listener.
   */
  onPhase?: PhaseListener;
  onNote?: (note: string) => void;
  signal?: AbortSignal;
}

export type BackupKind = "incremental" | "differential" | "full" | "active-full";

export async function backup(request: BackupRequest): Promise<RestorePoint> {
  request.onPhase?.("pre-check");
  const repo = await Repository.open(request.repo, request.password);
  const changed = request.changedRangesFile ? await readChangedRanges(request.changedRangesFile) : undefined;
  const source = await (request.openSource ?? openBackupSource)(request.source);
  const note = request.onNote ?? (() => undefined);
  // A source may hold something on the hypervisor (a vSphere snapshot): close it on every path.
  const lock = await repo.lock("shared", "backup").catch(async (err: unknown) => {
    await source.close();
    throw err;
  });
  try {
    await repo.cleanTemporaryFiles(false);
    const key = sourceKey(source.info);
    const index = await repo.loadIndex();
    const kind: BackupKind = request.full ? "full" : (request.type ?? "incremental");
    let checkpoint = await repo.readCheckpoint(key);
    let stillValid: (string | undefined)[][] | undefined;
    if (checkpoint && !request.resume) {
      note(
        `an interrupted backup of ${source.info.location} was found; starting over (pass --resume to continue it)`,
      );
      checkpoint = undefined;
    } else if (checkpoint && request.resume === "if-interrupted" && !checkpointFits(checkpoint, kind)) {
      note(
        `an interrupted ${checkpoint.type} backup of ${source.info.location} was found; it is not the ${kind} backup asked for, so this one starts over`,
      );
      checkpoint = undefined;
    } else if (checkpoint && checkpoint.fingerprint !== source.fingerprint && canRevalidate(source)) {
      // A new snapshot: keep only the finished segments change tracking vouches for.
      ({ checkpoint, stillValid } = await revalidateCheckpoint(
        checkpoint,
        source,
        repo.config.chunkSize,
        note,
      ));
    } else if (checkpoint && checkpoint.fingerprint !== source.fingerprint) {
      note(`the source changed since the interrupted backup; starting over`);
      checkpoint = undefined;
    } else if (!checkpoint && request.resume === true) {
      note(`no interrupted backup of ${source.info.location} to resume; starting a new one`);
    }
    if (checkpoint) {
      // Packs closed after the last checkpoint are not in any index file yet: take them in.
      const orphans = await repo.indexOrphanPacks(index);
      await repo.writeIndexFile(orphans);
      const stored = checkpoint.disks.reduce((n, d) => n + d.segments.length, 0);
      const kept = (stillValid ?? []).flat().filter((id) => id !== undefined).length;
      note(`resuming: ${stored + kept} segments already stored`);
    }
    const parent =
      kind === "full" || kind === "active-full"
        ? null
        : await findParent(repo, key, checkpoint?.parent ?? undefined, kind === "differential");
    if (source.useParent && kind !== "active-full") await source.useParent(parent, note);
    await checkFreeSpace(repo, source, parent && changed ? changed : undefined, note);
    if (changed && source.disks[0]) {
      if (parent) source.disks[0].changedRanges = changed;
      else
        note(
          "no earlier restore point of this source: the changed ranges are ignored and everything is read",
        );
    }
    return await runBackup({
      repo,
      index,
      source,
      parent,
      type: parent ? (kind === "differential" ? "differential" : "incremental") : "full",
      resumeFrom: checkpoint ?? null,
      ...(stillValid ? { stillValid } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.onPhase ? { onPhase: request.onPhase } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
  } finally {
    await lock.release();
    await source.close();
  }
}

/**
 * Whether continuing an interrupted run gives the kind of backup asked for. A run without a parent
 * fits any kind: it stores everything, which is what a full is and what an incremental with no
 * earlier restore point becomes. A run with a parent fits only the same kind (a full must not get
 * one, and an incremental and a differential name different parents).
 */
function checkpointFits(checkpoint: Checkpoint, kind: BackupKind): boolean {
  if (checkpoint.parent === null) return true;
  return kind === checkpoint.type;
}

/** Below this a backup cannot get far: refuse before writing anything. */
const MINIMUM_FREE_BYTES = 16 * 1024 * 1024;

/**
 * Pre-check: is there room in the repository? The exact need is unknown before deduplication and
 * compression, so only a hopeless case is refused; a tight one gets a note.
 */
async function checkFreeSpace(
  repo: Repository,
  source: BackupSource,
  changed: ByteRange[] | undefined,
  note: (text: string) => void,
): Promise<void> {
  const fsStats = await statfs(repo.path);
  const free = fsStats.bavail * fsStats.bsize;
  if (free < MINIMUM_FREE_BYTES) {
    throw new SnapferryError(
      "disk-full",
      `not enough space left on the repository's disk: ${formatBytes(free)} free, less than the ${formatBytes(MINIMUM_FREE_BYTES)} a backup needs at least`,
      "Free space there (forget and prune old restore points), or use a larger disk.",
    );
  }
  const upperBound = changed
    ? changed.reduce((sum, r) => sum + r.length, 0)
    : source.disks.reduce((sum, d) => sum + d.size, 0);
  if (free < upperBound) {
    note(
      `the repository's disk has ${formatBytes(free)} free; this backup reads ${formatBytes(upperBound)} and may not fit (it needs less after deduplication, holes and compression)`,
    );
  }
}

/**
 * The newest restore point of the same source (the newest full one for a differential), or the
 * one an interrupted run had chosen.
 */
export async function findParent(
  repo: Repository,
  key: string,
  chosen: string | undefined,
  fullOnly: boolean,
): Promise<RestorePoint | null> {
  if (chosen) return repo.readRestorePoint(chosen);
  const { points } = await repo.listRestorePoints();
  return points.filter((p) => sourceKey(p.source) === key && (!fullOnly || p.type === "full")).at(-1) ?? null;
}

export interface RestorePointListing {
  points: RestorePointSummary[];
  /** Manifests that cannot be read, with why: a caller must show them, never drop them silently. */
  damaged: { id: string; message: string }[];
}

export async function listRestorePoints(request: RepoRef): Promise<RestorePointListing> {
  const repo = await Repository.open(request.repo, request.password);
  const { points, damaged } = await repo.listRestorePoints();
  return {
    points: points.map(summarize),
    damaged: damaged.map((d) => ({ id: d.id, message: d.error.message })),
  };
}

export interface RestoreRequest extends RepoRef {
  restorePoint: string;
  target: string;
  disk?: number;
  overwrite?: boolean;
  /** The disk file format to write (a migration); raw when absent. */
  format?: WriteFormat;
  /** Restore as a VMware Workstation/Fusion VM: `target` is a folder that gets the VMDKs and a .vmx. */
  vmFolder?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export async function restore(
  request: RestoreRequest,
): Promise<{ restorePoint: RestorePoint; written: string[] }> {
  const repo = await Repository.open(request.repo, request.password);
  const rp = await repo.resolveRestorePoint(request.restorePoint);
  const disks = request.disk === undefined ? rp.disks : rp.disks.filter((d) => d.index === request.disk);
  if (disks.length === 0) {
    throw new SnapferryError(
      "not-found",
      `restore point ${rp.id.slice(0, 8)} has no disk ${request.disk}`,
      `Its disks are ${rp.disks.map((d) => d.index).join(", ")}.`,
    );
  }
  // A shared lock keeps prune from deleting packs while they are being read.
  const lock = await repo.lock("shared", "restore");
  try {
    return { restorePoint: rp, written: await restoreDisks(repo, rp, disks, request) };
  } finally {
    await lock.release();
  }
}

async function restoreDisks(
  repo: Repository,
  rp: RestorePoint,
  disks: RestorePoint["disks"],
  request: RestoreRequest,
): Promise<string[]> {
  const index = await repo.loadIndex();
  const written: string[] = [];
  const format = request.vmFolder ? vmFolderFormat(request.format) : request.format;
  // One disk goes to the target path itself; several (or a VM) go into the target folder by name.
  if (disks.length > 1 || request.vmFolder) await mkdir(request.target, { recursive: true });
  for (const disk of disks) {
    const target = request.vmFolder
      ? vmDiskPath(request.target, disk)
      : disks.length === 1
        ? request.target
        : path.join(request.target, disk.name);
    await restoreDisk({
      repo,
      index,
      restorePoint: rp,
      disk,
      target,
      overwrite: request.overwrite ?? false,
      ...(format ? { format } : {}),
      ...(request.onProgress ? { onProgress: request.onProgress } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    written.push(target);
  }
  if (request.vmFolder) written.push(await writeRestoredVm(request.target, rp, written));
  return written;
}
