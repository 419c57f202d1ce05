/**
 * Checkpoint journals let an interrupted backup resume. After each durable step (packs closed,
 * their index file written) the backup rewrites checkpoints/<key> atomically with the segments of
 * each disk that are complete. `backup --resume` skips those segments; the blobs they name are
 * already in the repository, so nothing is sent twice.
 *
 * Prune treats the segments named in checkpoints as live, so a prune between a crash and the
 * resume does not throw away what the resume will reuse.
 */
import { createHash } from "node:crypto";
import { CorruptDataError } from "../common/errors.js";
import type { BackupType, Consistency, SourceInfo } from "./restore-point.js";

export interface CheckpointDisk {
  index: number;
  size: number;
  segments: string[];
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
    v.disks.every((d) => Array.isArray(d.segments) && d.segments.every((s) => typeof s === "string"));
  if (!ok) throw new CorruptDataError(`${what} is damaged`);
  return v as Checkpoint;
}
