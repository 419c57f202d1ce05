/**
 * Checkpoint journals let an interrupted backup resume. After each durable step (packs closed,
 * their index file written) the backup rewrites checkpoints/<key> atomically with the segments of
 * each disk that are complete. `backup --resume` skips those segments; the blobs they name are
 * already in the repository, so nothing is sent twice.
 *
 * Each disk also records its origin as the interrupted run saw it (vSphere: the snapshot's CBT
 * change id). A resume that reads a NEW snapshot asks CBT what changed since then and keeps only
 * the finished segments nothing changed in (engines/resume-check.ts); without an origin (older
 * checkpoints, image sources) a changed source starts over.
 *
 * Prune treats the segments named in checkpoints as live, so a prune between a crash and the
 * resume does not throw away what the resume will reuse.
 */
import { createHash } from "node:crypto";
import { CorruptDataError } from "../common/errors.js";
import {
  isDiskOrigin,
  type BackupType,
  type Consistency,
  type DiskOrigin,
  type SourceInfo,
} from "./restore-point.js";

export interface CheckpointDisk {
  index: number;
  size: number;
  segments: string[];
  /** The disk's state the segments hold; absent in checkpoints written before it existed. */
  origin?: DiskOrigin;
}

export interface Checkpoint {
  version: 1;
  sourceKey: string;
  /** Identifies the exact source state (size and mtime of an image, a snapshot id for a VM). */
  fingerprint: string;
  source: SourceInfo;
  restorePointId: string;
  startedAt: string;
  type: BackupType;
  parent: string | null;
  consistency: Consistency;
  disks: CheckpointDisk[];
}

export function checkpointName(sourceKey: string): string {
  return createHash("sha256").update(sourceKey).digest("hex").slice(0, 32);
}

export function validateCheckpoint(value: unknown, what: string): Checkpoint {
  const v = value as Partial<Checkpoint> | null;
  const ok =
    v !== null &&
    typeof v === "object" &&
    v.version === 1 &&
    typeof v.sourceKey === "string" &&
    typeof v.fingerprint === "string" &&
    typeof v.restorePointId === "string" &&
    Array.isArray(v.disks) &&
    v.disks.every(
      (d) =>
        Array.isArray(d.segments) &&
        d.segments.every((s) => typeof s === "string") &&
        (d.origin === undefined || isDiskOrigin(d.origin)),
    );
  if (!ok) throw new CorruptDataError(`${what} is damaged`);
  return v as Checkpoint;
}
