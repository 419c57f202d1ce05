/**
 * What the app does on its own while it runs (the tray keeps it running): the job scheduler, the
 * watch for rotated USB disks and shares, and the daily email digest. Started by the doors that
 * stand for a running app (Electron, `npm start`'s bridge), not by tests unless they ask.
 */
import { systemClock } from "../jobs/clock.js";
import { RepositoryWatcher, defaultMountRoots, findRepositories } from "../jobs/repository-watch.js";
import { Scheduler, systemTimer, type SchedulableJob } from "../jobs/scheduler.js";
import type { AppContext } from "./app-context.js";
import { flushDigest, keychainOf } from "./job-email.js";
import { listJobs, startJobRun } from "./job-service.js";
import { repositoryAppeared } from "./usb-rotation.js";

const DIGEST_CHECK_MS = 5 * 60_000;

export interface Background {
  /** Jobs were saved or removed: the scheduler re-arms. */
  jobsChanged(): void;
  stop(): void;
}

export function startBackground(
  ctx: AppContext,
  tell: (level: "info" | "warn", message: string) => void,
): Background {
  const scheduler = new Scheduler({
    clock: systemClock,
    timer: systemTimer,
    jobs: () =>
      listJobs(ctx.catalog).flatMap(({ job, settings }): SchedulableJob[] =>
        settings.schedule
          ? [
              {
                id: job.id,
                name: job.name,
                schedule: settings.schedule,
                createdAt: job.createdAt,
                ...(settings.timeZone ? { timeZone: settings.timeZone } : {}),
              },
            ]
          : [],
      ),
    lastSlot: (id) => ctx.catalog.jobs.lastSlot(id),
    setLastSlot: (id, slot) => ctx.catalog.jobs.setLastSlot(id, slot),
    isRunning: (id) => ctx.runs.isJobRunning(id),
    run: (job, reason) => {
      const scheduled = listJobs(ctx.catalog).find((j) => j.job.id === job.id);
      if (scheduled) startJobRun(ctx, scheduled, { reason });
    },
    log: (message) => {
      ctx.log(message);
      tell("warn", message);
    },
  });
  const watcher = new RepositoryWatcher({
    timer: systemTimer,
    known: () => new Set(ctx.catalog.repositories.list().map((r) => r.repositoryId)),
    scan: () => findRepositories(defaultMountRoots()),
    online: (found) => {
      repositoryAppeared(ctx, found, (message) => tell("info", message));
    },
    offline: () => undefined,
  });
  let cancelDigest: (() => void) | undefined;
  const digest = (): void => {
    flushDigest(ctx.catalog, keychainOf(ctx.passwords), systemClock)
      .catch((err: unknown) =>
        tell(
          "warn",
          `the daily email digest was not sent: ${err instanceof Error ? err.message : String(err)}`,
        ),
      )
      .finally(() => {
        cancelDigest = systemTimer.set(DIGEST_CHECK_MS, digest);
      });
  };
  scheduler.start();
  watcher.start();
  digest();
  return {
    jobsChanged: () => scheduler.reload(),
    stop() {
      scheduler.stop();
      watcher.stop();
      cancelDigest?.();
    },
  };
}
