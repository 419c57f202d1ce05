/**
 * The dashboard: each job's last result, each repository's space with a forecast of when it fills
 * at its recent growth, and the machines without a recent restore point (the protection gap).
 * Everything comes from the catalog's cache and a statfs of the repositories that are reachable,
 * so it answers at once and never asks for a password.
 */
import { readdir, stat } from "node:fs/promises";
import { freeBytes } from "../common/free-space.js";
import path from "node:path";
import type { ApiInput, DashboardView } from "../../preload/contract.js";
import type { CatalogRestorePoint } from "../catalog/catalog-api.js";
import { nextRun } from "../jobs/schedule.js";
import type { AppContext } from "./app-context.js";
import { listJobs } from "./job-service.js";

const DAY_MS = 24 * 3600 * 1000;
const GROWTH_WINDOW_DAYS = 30;

export async function dashboard(
  ctx: AppContext,
  input: ApiInput<"dashboard.get">,
  now = new Date(),
): Promise<DashboardView> {
  const gapDays = input.gapDays ?? 7;
  const jobs = listJobs(ctx.catalog).map(({ job, settings }) => {
    let next: Date | null = null;
    try {
      next = settings.schedule ? nextRun(settings.schedule, now, settings.timeZone) : null;
    } catch {
      // Shown as not scheduled; the scheduler logs why.
    }
    return {
      jobId: job.id,
      name: job.name,
      lastRun: ctx.catalog.runs.list({ jobId: job.id, limit: 1 })[0] ?? null,
      nextRun: next?.toISOString() ?? null,
    };
  });
  const repositories = await Promise.all(
    ctx.catalog.repositories.list().map(async (repo) => {
      const points = ctx.catalog.restorePoints.list(repo.repositoryId);
      const usedBytes = (await storedBytes(repo.path)) ?? points.reduce((n, p) => n + (p.bytesAdded ?? 0), 0);
      const free = await freeBytes(repo.path);
      const growthPerDay = growth(points, now);
      const fullBy =
        free !== null && growthPerDay !== null && growthPerDay > 0
          ? new Date(now.getTime() + (free / growthPerDay) * DAY_MS).toISOString()
          : null;
      return {
        repositoryId: repo.repositoryId,
        name: repo.name,
        usedBytes,
        freeBytes: free,
        growthPerDay,
        fullBy,
      };
    }),
  );
  return { jobs, repositories, protectionGaps: gaps(ctx, now, gapDays), gapDays };
}

/** The pack files' total size: what the repository takes on its disk; null when unreachable. */
async function storedBytes(repoPath: string): Promise<number | null> {
  const data = path.join(repoPath, "data");
  try {
    let total = 0;
    for (const dir of await readdir(data)) {
      for (const entry of await readdir(path.join(data, dir), { withFileTypes: true })) {
        if (entry.isFile()) total += (await stat(path.join(data, dir, entry.name))).size;
      }
    }
    return total;
  } catch {
    return null;
  }
}

/** Bytes added per day over the last 30 days, from restore points spanning at least a day. */
function growth(points: CatalogRestorePoint[], now: Date): number | null {
  const since = now.getTime() - GROWTH_WINDOW_DAYS * DAY_MS;
  const recent = points.filter((p) => Date.parse(p.time) >= since && p.bytesAdded !== null);
  const first = recent[0];
  if (!first || recent.length < 2) return null;
  const days = (now.getTime() - Date.parse(first.time)) / DAY_MS;
  if (days < 1) return null;
  // The first restore point in the window is usually a full one: its size is not growth.
  const added = recent.slice(1).reduce((n, p) => n + (p.bytesAdded ?? 0), 0);
  return added / days;
}

/** Each machine seen in a restore point or named by a job, with its newest restore point anywhere. */
function gaps(ctx: AppContext, now: Date, gapDays: number): DashboardView["protectionGaps"] {
  const newest = new Map<string, { name: string; source: string; newest: string | null }>();
  const see = (key: string, name: string, source: string, time: string | null): void => {
    const known = newest.get(key);
    if (!known || (time !== null && (known.newest === null || time > known.newest)))
      newest.set(key, { name, source, newest: time ?? known?.newest ?? null });
  };
  for (const repo of ctx.catalog.repositories.list()) {
    for (const p of ctx.catalog.restorePoints.list(repo.repositoryId)) {
      see(p.vmUuid ?? p.source, p.vmName ?? p.source, p.source, p.time);
    }
  }
  for (const { settings } of listJobs(ctx.catalog)) {
    const source = ctx.catalog.sources.get(settings.sourceId);
    if (!source) continue;
    if (source.kind !== "vsphere") see(source.location, source.name, source.location, null);
  }
  const limit = now.getTime() - gapDays * DAY_MS;
  return [...newest.values()]
    .filter((m) => m.newest === null || Date.parse(m.newest) < limit)
    .map((m) => ({
      ...m,
      days: m.newest === null ? null : Math.floor((now.getTime() - Date.parse(m.newest)) / DAY_MS),
    }))
    .sort((a, b) => (b.days ?? Infinity) - (a.days ?? Infinity));
}
