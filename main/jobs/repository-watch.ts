/**
 * Notices when a known repository appears (a rotated USB disk plugged in, a NAS share mounted)
 * and when it goes away. Repositories are recognised by the id in their config, never by their
 * mount path or drive letter, which change from one plug-in to the next.
 *
 * Polling a handful of mount roots every few seconds is deliberate: it works the same on Linux,
 * macOS and Windows, needs no native module, and costs a few readdir calls.
 */
import { readdir } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { readConfig } from "../repository/config.js";
import type { Timer } from "./scheduler.js";

export interface FoundRepository {
  id: string;
  path: string;
}

/** Where removable disks and shares appear on each system. */
export function defaultMountRoots(platform: NodeJS.Platform = process.platform): string[] {
  if (platform === "win32") return "DEFGHIJKLMNOPQRSTUVWXYZ".split("").map((l) => `${l}:\\`);
  if (platform === "darwin") return ["/Volumes"];
  let user = "";
  try {
    user = os.userInfo().username;
  } catch {
    // No passwd entry: the shared roots below are still scanned.
  }
  return [...(user ? [`/media/${user}`, `/run/media/${user}`] : []), "/media", "/mnt"];
}

/**
 * Repositories at most two folders below each root: `<mount>/` itself, or a folder on it
 * (`<mount>/snapferry`, `<mount>/backups/office`). Unreadable places are skipped silently: a
 * half-mounted disk or a folder of another user is not an error here.
 */
export async function findRepositories(roots: readonly string[], depth = 2): Promise<FoundRepository[]> {
  const found = new Map<string, FoundRepository>();
  const visit = async (dir: string, left: number): Promise<void> => {
    try {
      const config = await readConfig(dir);
      if (!found.has(config.id)) found.set(config.id, { id: config.id, path: dir });
      return;
    } catch {
      // Not a repository (or not readable): look one level down.
    }
    if (left === 0) return;
    let names: string[];
    try {
      names = (await readdir(dir, { withFileTypes: true })).filter((e) => e.isDirectory()).map((e) => e.name);
    } catch {
      return;
    }
    for (const name of names.filter((n) => !n.startsWith(".")).slice(0, 64))
      await visit(path.join(dir, name), left - 1);
  };
  for (const root of roots) await visit(root, depth);
  return [...found.values()];
}

export interface RepositoryWatchDeps {
  timer: Timer;
  /** The repositories worth watching for: those the catalog knows. */
  known(): Set<string>;
  scan(): Promise<FoundRepository[]>;
  /** A known repository was found (maybe at a new path). */
  online(found: FoundRepository): void;
  offline(id: string): void;
  intervalMs?: number;
}

export class RepositoryWatcher {
  private present = new Map<string, string>();
  private cancel: (() => void) | undefined;
  private stopped = true;

  constructor(private readonly deps: RepositoryWatchDeps) {}

  start(): void {
    this.stopped = false;
    void this.poll();
  }

  stop(): void {
    this.stopped = true;
    this.cancel?.();
  }

  /** One scan: tells what appeared (or moved) and what went away since the last one. */
  async poll(): Promise<void> {
    try {
      const known = this.deps.known();
      const now = new Map(
        (await this.deps.scan()).filter((f) => known.has(f.id)).map((f) => [f.id, f.path] as const),
      );
      for (const [id, where] of now) {
        if (this.present.get(id) !== where) this.deps.online({ id, path: where });
      }
      for (const id of this.present.keys()) if (!now.has(id)) this.deps.offline(id);
      this.present = now;
    } finally {
      if (!this.stopped)
        this.cancel = this.deps.timer.set(this.deps.intervalMs ?? 5000, () => void this.poll());
    }
  }
}
