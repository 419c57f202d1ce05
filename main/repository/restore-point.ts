/**
 * Restore points (manifests): immutable records of one backup. A manifest is written only after
 * every blob it names is durable, and becomes visible in one atomic rename into snapshots/.
 *
 * A disk's chunk list is not inlined: it is cut into segments of SEGMENT_CHUNKS ids, each stored
 * as a "list" blob in a pack. That keeps manifests small whatever the disk size, lets restore
 * stream the list, and lets an incremental reuse the unchanged segments of its parent for free.
 */
import { randomBytes } from "node:crypto";
import { CorruptDataError } from "../common/errors.js";

/** A differential is incremental to the last full restore point rather than to the newest one. */
export type BackupType = "full" | "incremental" | "differential";
export type Consistency = "crash" | "application";

export interface VmIdentity {
  uuid: string;
  name: string;
}

export interface SourceInfo {
  /** "image" for a disk image or block device; later connectors add their own kinds. */
  kind: string;
  /** Where the data came from: a path, or a host and VM path. */
  location: string;
  vm?: VmIdentity;
}

export interface DiskStats {
  bytesRead: number;
  bytesNew: number;
  bytesStored: number;
  bytesHoles: number;
}

/** Where a disk came from in its hypervisor, so that the next backup can ask what changed since. */
export interface DiskOrigin {
  /** vSphere's device key of the virtual disk. */
  deviceKey?: number;
  /** vSphere's changed-block-tracking id of the disk as it was backed up. */
  changeId?: string;
  /** The disk's file as the hypervisor names it ("[datastore] vm/disk.vmdk"). */
  file?: string;
}

export interface DiskRecord {
  index: number;
  name: string;
  size: number;
  chunkSize: number;
  /** Hex ids of the chunk-list blobs, in order. */
  segments: string[];
  stats: DiskStats;
  origin?: DiskOrigin;
}

export interface RestorePoint {
  version: 1;
  id: string;
  time: string;
  tool: string;
  host: string;
  type: BackupType;
  parent: string | null;
  consistency: Consistency;
  source: SourceInfo;
  disks: DiskRecord[];
  /** Free-form configuration files of the source (a .vmx, say), base64 by file name. */
  config: Record<string, string>;
  durationMs: number;
}

export function newRestorePointId(): string {
  return randomBytes(16).toString("hex");
}

/** Groups restore points of the same machine or image, for incrementals and retention. */
export function sourceKey(source: SourceInfo): string {
  return source.vm?.uuid ? `vm:${source.vm.uuid}` : `${source.kind}:${source.location}`;
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isDiskRecord(v: unknown): v is DiskRecord {
  return (
    isRecord(v) &&
    typeof v.index === "number" &&
    typeof v.name === "string" &&
    typeof v.size === "number" &&
    v.size >= 0 &&
    typeof v.chunkSize === "number" &&
    v.chunkSize > 0 &&
    Array.isArray(v.segments) &&
    v.segments.every((s) => typeof s === "string" && /^[0-9a-f]{64}$/.test(s)) &&
    isRecord(v.stats) &&
    (v.origin === undefined || isDiskOrigin(v.origin))
  );
}

export function isDiskOrigin(v: unknown): v is DiskOrigin {
  return (
    isRecord(v) &&
    (v.deviceKey === undefined || typeof v.deviceKey === "number") &&
    (v.changeId === undefined || typeof v.changeId === "string") &&
    (v.file === undefined || typeof v.file === "string")
  );
}

/** Checks a decoded manifest's shape so that a damaged one is reported, never half-used. */
export function validateRestorePoint(value: unknown, what: string): RestorePoint {
  const ok =
    isRecord(value) &&
    value.version === 1 &&
    typeof value.id === "string" &&
    typeof value.time === "string" &&
    (value.type === "full" || value.type === "incremental" || value.type === "differential") &&
    (value.consistency === "crash" || value.consistency === "application") &&
    isRecord(value.source) &&
    typeof value.source.kind === "string" &&
    typeof value.source.location === "string" &&
    Array.isArray(value.disks) &&
    value.disks.every(isDiskRecord) &&
    isRecord(value.config);
  if (!ok) throw new CorruptDataError(`${what} is damaged (fields missing or invalid)`);
  return value as unknown as RestorePoint;
}
