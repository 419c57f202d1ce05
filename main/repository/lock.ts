/**
 * Repository locks. Backups take shared locks (several may run at once); check, forget and prune
 * take an exclusive one. A lock is a small JSON file in locks/ with the host, the pid and a
 * heartbeat refreshed every minute.
 *
 * A lock left by a dead process on this host is removed automatically. A lock from another host
 * is never removed silently: that host may still be writing (a NAS shared by two machines), so
 * the user is told who holds it and asked to run `snapferry unlock --remove-all` if it is stale.
 */
import { randomBytes } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { SnapferryError, errnoCode } from "../common/errors.js";
import { listNames, removeDurably, writeFileDurably } from "./durable-fs.js";
import { DIRS } from "./file-formats.js";

export type LockKind = "shared" | "exclusive";

export interface LockInfo {
  host: string;
  pid: number;
  processStart: string | null;
  kind: LockKind;
  operation: string;
  createdAt: string;
  heartbeatAt: string;
}

const HEARTBEAT_MS = 60_000;

/** The kernel's start time of a process (Linux), to tell a live lock holder from a reused pid. */
export function processStartTime(pid: number): string | null {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    return fields[19] ?? null;
  } catch {
    return null;
  }
}

/** Whether a process with this pid runs on this host (EPERM: it does, as another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return errnoCode(err) === "EPERM";
  }
}

/** A lock from this host whose process is gone (or whose pid now belongs to another process). */
export function isStaleLocalLock(lock: LockInfo): boolean {
  if (lock.host !== hostname()) return false;
  if (!processAlive(lock.pid)) return true;
  const start = processStartTime(lock.pid);
  return lock.processStart !== null && start !== null && start !== lock.processStart;
}

export async function readLocks(repo: string): Promise<{ name: string; info: LockInfo | null }[]> {
  const dir = path.join(repo, DIRS.locks);
  const out: { name: string; info: LockInfo | null }[] = [];
  for (const name of await listNames(dir)) {
    try {
      out.push({ name, info: JSON.parse(await fs.readFile(path.join(dir, name), "utf8")) as LockInfo });
    } catch (err) {
      if (errnoCode(err) === "ENOENT") continue;
      out.push({ name, info: null });
    }
  }
  return out;
}

function describe(lock: LockInfo): string {
  return `${lock.kind} lock held by ${lock.operation} on host ${lock.host} (pid ${lock.pid}) since ${lock.createdAt}, last heartbeat ${lock.heartbeatAt}`;
}

export class RepositoryLock {
  private timer: NodeJS.Timeout | undefined;
  private released = false;

  private constructor(
    private readonly repo: string,
    private readonly file: string,
    private readonly info: LockInfo,
  ) {}

  /**
   * Takes a lock or fails with a message naming the holder. Creating our file first and only then
   * looking at the others means two racing processes both see each other and both back off.
   */
  static async acquire(repo: string, kind: LockKind, operation: string): Promise<RepositoryLock> {
    const now = new Date().toISOString();
    const info: LockInfo = {
      host: hostname(),
      pid: process.pid,
      processStart: processStartTime(process.pid),
      kind,
      operation,
      createdAt: now,
      heartbeatAt: now,
    };
    const name = `${randomBytes(8).toString("hex")}.json`;
    const file = path.join(repo, DIRS.locks, name);
    await writeFileDurably(file, Buffer.from(JSON.stringify(info)), path.join(repo, DIRS.tmp));
    const lock = new RepositoryLock(repo, file, info);
    try {
      await lock.checkConflicts(name);
    } catch (err) {
      await lock.release();
      throw err;
    }
    lock.timer = setInterval(() => void lock.heartbeat(), HEARTBEAT_MS);
    lock.timer.unref();
    return lock;
  }

  private async checkConflicts(ownName: string): Promise<void> {
    for (const { name, info } of await readLocks(this.repo)) {
      if (name === ownName) continue;
      if (info && isStaleLocalLock(info)) {
        // The process that held it is gone: this host can prove it, so the lock is broken here.
        await removeDurably(path.join(this.repo, DIRS.locks, name));
        continue;
      }
      if (info && info.kind === "shared" && this.info.kind === "shared") continue;
      throw new SnapferryError(
        "repository-locked",
        info
          ? `repository ${this.repo} is in use: ${describe(info)}`
          : `repository ${this.repo} has an unreadable lock file locks/${name}`,
        info && info.host !== hostname()
          ? `Wait for it to finish. If Snapferry no longer runs on ${info.host}, run \`snapferry unlock --repo ${this.repo} --remove-all\`.`
          : "Wait for the other operation to finish, then try again.",
      );
    }
  }

  private async heartbeat(): Promise<void> {
    if (this.released) return;
    this.info.heartbeatAt = new Date().toISOString();
    await writeFileDurably(
      this.file,
      Buffer.from(JSON.stringify(this.info)),
      path.join(this.repo, DIRS.tmp),
    ).catch(() => undefined);
  }

  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    if (this.timer) clearInterval(this.timer);
    await removeDurably(this.file).catch(() => undefined);
  }
}

/** `snapferry unlock`: removes stale local locks, and with `all`, every lock. */
export async function removeLocks(repo: string, all: boolean): Promise<LockInfo[]> {
  const removed: LockInfo[] = [];
  for (const { name, info } of await readLocks(repo)) {
    if (all || !info || isStaleLocalLock(info)) {
      await removeDurably(path.join(repo, DIRS.locks, name));
      if (info) removed.push(info);
    }
  }
  return removed;
}
