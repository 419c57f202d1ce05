/**
 * Who made a backup snapshot. Every snapshot Snapferry takes is named `snapferry-<job id>` and
 * carries, in its description, the host name, process id and start time of the job (JSON), so a
 * later run can tell a snapshot left by a dead job (to remove) from one a running job still reads.
 */
import { hostname } from "node:os";

export const SNAPSHOT_PREFIX = "snapferry-";
/** A snapshot from another host is presumed abandoned only after this long. */
export const FOREIGN_ORPHAN_AGE_MS = 24 * 3600_000;

export interface SnapshotOwner {
  tool: "snapferry";
  job: string;
  host: string;
  pid: number;
  /** ISO time the job started. */
  started: string;
}

/** Jobs of this process whose snapshot exists: this process's pid is alive, but these alone are live. */
const activeJobs = new Set<string>();

export function markJobActive(jobId: string, active: boolean): void {
  if (active) activeJobs.add(jobId);
  else activeJobs.delete(jobId);
}

export function snapshotName(jobId: string): string {
  return `${SNAPSHOT_PREFIX}${jobId}`;
}

export function isBackupSnapshotName(name: string): boolean {
  return name.startsWith(SNAPSHOT_PREFIX);
}

export function currentOwner(jobId: string, started: Date): SnapshotOwner {
  return {
    tool: "snapferry",
    job: jobId,
    host: hostname(),
    pid: process.pid,
    started: started.toISOString(),
  };
}

export function ownerDescription(owner: SnapshotOwner): string {
  return JSON.stringify(owner);
}

/** The owner recorded in a snapshot's description, or undefined when it holds none. */
export function parseOwner(description: string): SnapshotOwner | undefined {
  let value: unknown;
  try {
    value = JSON.parse(description);
  } catch {
    return undefined;
  }
  if (typeof value !== "object" || value === null) return undefined;
  const v = value as Record<string, unknown>;
  if (v.tool !== "snapferry" || typeof v.job !== "string" || typeof v.host !== "string") return undefined;
  if (typeof v.pid !== "number" || !Number.isSafeInteger(v.pid) || typeof v.started !== "string")
    return undefined;
  return { tool: "snapferry", job: v.job, host: v.host, pid: v.pid, started: v.started };
}

/** Whether a process with this id runs on this machine (EPERM: it does, as another user). */
export function processIsAlive(pid: number): boolean {
  if (pid <= 0) return false;
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

export type OwnerVerdict = { orphan: true; why: string } | { orphan: false; why: string; running: boolean };

export interface VerdictContext {
  host: string;
  now: Date;
  isAlive: (pid: number) => boolean;
  /** This process's id and its running jobs: a snapshot it made for a job that ended is an orphan. */
  pid?: number;
  isActiveJob?: (job: string) => boolean;
}

export function defaultVerdictContext(): VerdictContext {
  return {
    host: hostname(),
    now: new Date(),
    isAlive: processIsAlive,
    pid: process.pid,
    isActiveJob: (job) => activeJobs.has(job),
  };
}

/** Whether a `snapferry-*` snapshot was left by a dead job, and why (for the note). */
export function judgeOwner(description: string, createTime: Date, ctx: VerdictContext): OwnerVerdict {
  const owner = parseOwner(description);
  const ageMs = ctx.now.getTime() - createTime.getTime();
  if (owner && owner.host === ctx.host) {
    const running =
      owner.pid === ctx.pid && ctx.isActiveJob ? ctx.isActiveJob(owner.job) : ctx.isAlive(owner.pid);
    return running
      ? {
          orphan: false,
          running: true,
          why: `the job that made it (pid ${owner.pid} on this host) is still running`,
        }
      : {
          orphan: true,
          why: `its job (pid ${owner.pid} on this host, started ${owner.started}) is no longer running`,
        };
  }
  const maker = owner ? `host ${owner.host} (pid ${owner.pid}, started ${owner.started})` : "an unknown job";
  if (ageMs > FOREIGN_ORPHAN_AGE_MS) return { orphan: true, why: `made by ${maker} more than a day ago` };
  return {
    orphan: false,
    running: false,
    why:
      `it was made by ${maker} less than a day ago and may belong to a backup still running there; ` +
      "it is removed once it is a day old, or delete it in the vSphere Client if that job is gone",
  };
}
