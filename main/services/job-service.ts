/**
 * Jobs as the doors see them: stored in the catalog (kind "backup", settings per
 * jobs/job-settings.ts), exported and imported as JSON, and run through the run registry so that
 * every run, from the scheduler, the app or `snapferry job run`, lands in the same history.
 */
import type { Catalog, CatalogJob } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { runJob, type JobResult } from "../jobs/job-runner.js";
import { parseJobExport, parseJobSettings, type JobExport, type JobSettings } from "../jobs/job-settings.js";
import { systemClock, type Clock } from "../jobs/clock.js";
import { refreshRestorePoints } from "../catalog/rebuild.js";
import type { AppContext } from "./app-context.js";
import { jobDeps, type JobPasswords } from "./job-deps.js";
import { keychainOf, reportJobRun } from "./job-email.js";

export interface ScheduledJob {
  job: CatalogJob;
  settings: JobSettings;
}

/** Jobs with a full definition; the single backups "Back up now" remembers are not listed. */
export function listJobs(catalog: Catalog): ScheduledJob[] {
  return catalog.jobs.list().flatMap((job) => {
    if (job.kind !== "backup" || job.settings.version !== 1) return [];
    return [{ job, settings: parseJobSettings(job.settings, `job "${job.name}"`) }];
  });
}

export function findJob(catalog: Catalog, nameOrId: string): ScheduledJob {
  const jobs = listJobs(catalog);
  const found = jobs.filter((j) => j.job.id === nameOrId || j.job.name === nameOrId);
  const only = found[0];
  if (!only || found.length > 1) {
    throw new SnapferryError(
      "not-found",
      found.length > 1 ? `${found.length} jobs are named "${nameOrId}"` : `no job named "${nameOrId}"`,
      jobs.length > 0
        ? `Jobs: ${jobs.map((j) => j.job.name).join(", ")}${found.length > 1 ? "; give the job's id instead" : ""}.`
        : "Import one with `snapferry job import FILE`, or create one in the app.",
    );
  }
  return only;
}

/** Checks that what the job names exists on this machine before it is saved. */
function assertKnown(catalog: Catalog, name: string, settings: JobSettings): void {
  const missing: string[] = [];
  if (!catalog.sources.get(settings.sourceId)) missing.push(`source ${settings.sourceId}`);
  for (const id of [settings.repositoryId, ...settings.copies.map((c) => c.repositoryId)]) {
    if (!catalog.repositories.get(id)) missing.push(`repository ${id}`);
  }
  if (missing.length > 0) {
    throw new SnapferryError(
      "config",
      `job "${name}" names what this machine does not know: ${missing.join(", ")}`,
      "Add the source and open the repositories in Snapferry first (repositories are known by their id, whatever their path).",
    );
  }
}

export function saveJob(catalog: Catalog, name: string, settings: JobSettings, id?: string): CatalogJob {
  const valid = parseJobSettings(settings, `job "${name}"`);
  assertKnown(catalog, name, valid);
  const clash = listJobs(catalog).find((j) => j.job.name === name && j.job.id !== id);
  if (clash)
    throw new SnapferryError("config", `a job named "${name}" exists already`, "Choose another name.");
  return catalog.jobs.save({ id: id ?? crypto.randomUUID(), name, kind: "backup", settings: { ...valid } });
}

export function exportJob(catalog: Catalog, nameOrId: string): JobExport {
  const { job, settings } = findJob(catalog, nameOrId);
  return { format: "snapferry-job", name: job.name, settings };
}

export function importJob(catalog: Catalog, json: string, what: string, name?: string): CatalogJob {
  const parsed = parseJobExport(json, what);
  return saveJob(catalog, name ?? parsed.name, parsed.settings);
}

export interface JobRunRequest {
  passwords?: JobPasswords;
  /** Why it runs, for the history: "scheduled for 22:00", "missed while off", "run by hand". */
  reason: string;
  clock?: Clock;
}

/**
 * Starts a run of the job in the run registry; `result` settles when it ends. A job that ends
 * "failed" fails its run (with the reason in the history); "warning" succeeds with the warnings
 * in its log, as the per-VM messages are.
 */
export function startJobRun(
  ctx: AppContext,
  scheduled: ScheduledJob,
  request: JobRunRequest,
): { runId: string; result: Promise<JobResult> } {
  const { job, settings } = scheduled;
  let outcome: JobResult | undefined;
  const run = ctx.runs.start(
    {
      jobId: job.id,
      kind: "backup",
      title: `Job ${job.name}`,
      repositoryId: settings.repositoryId,
      cancellable: true,
    },
    async (run) => {
      run.note(`job "${job.name}" started: ${request.reason}`);
      const ran = await runJob(
        job.name,
        settings,
        jobDeps(ctx, settings, request.passwords, request.clock ?? systemClock),
        {
          signal: run.signal,
          note: run.note,
        },
      );
      outcome = ran;
      await refreshQuietly(
        ctx,
        [settings.repositoryId, ...settings.copies.map((c) => c.repositoryId)],
        request.passwords,
        run.note,
      );
      await reportQuietly(ctx, job.name, ran, request.clock ?? systemClock, run.note);
      const read = ran.vms.reduce((n, v) => n + v.bytesRead, 0);
      const stored = ran.vms.reduce((n, v) => n + v.bytesStored, 0);
      const summary = ran.vms.map((v) => `${v.vm.name} ${v.state}`).join(", ");
      run.note(
        `job "${job.name}" ended: ${ran.state} (${summary}; ${formatBytes(read)} read, ${formatBytes(stored)} stored)`,
      );
      if (ran.state === "warning") {
        // A run that worked, but not quite as asked, must not look like a plain success.
        ctx.runs.notice("warn", `job "${job.name}" finished with warnings: ${warnings(ran)}`);
      }
      if (ran.state === "failed") {
        throw new SnapferryError(
          "source",
          `job "${job.name}" failed: ${failures(ran)}`,
          "The log says what failed for each VM.",
        );
      }
      return {
        bytesRead: read,
        bytesStored: stored,
        restorePointId: ran.vms.find((v) => v.restorePointId)?.restorePointId ?? null,
      };
    },
  );
  // A job that failed has its result; only one that could not run at all (no VM, say) has none.
  const result = ctx.runs.ended(run.id).then((ended) => {
    if (outcome) return outcome;
    throw new SnapferryError("source", ended?.error ?? `job "${job.name}" could not run`);
  });
  result.catch(() => undefined);
  return { runId: run.id, result };
}

/** The app's restore point lists of the repositories the run wrote to, read again. */
async function refreshQuietly(
  ctx: AppContext,
  repositoryIds: string[],
  passwords: JobPasswords | undefined,
  note: (message: string, level?: "info" | "warn" | "error") => void,
): Promise<void> {
  for (const id of repositoryIds) {
    const repo = ctx.catalog.repositories.get(id);
    if (!repo) continue;
    try {
      const password = (await ctx.passwords.forRepository(repo, passwords?.repository)).provider;
      await refreshRestorePoints(ctx.catalog, id, password);
    } catch (err) {
      note(
        `the restore point list of ${repo.name} was not refreshed: ${err instanceof Error ? err.message : String(err)}`,
        "warn",
      );
    }
  }
}

async function reportQuietly(
  ctx: AppContext,
  jobName: string,
  result: JobResult,
  clock: Clock,
  note: (message: string, level?: "info" | "warn" | "error") => void,
): Promise<void> {
  try {
    const said = await reportJobRun(ctx.catalog, keychainOf(ctx.passwords), jobName, result, clock);
    if (said) note(said);
  } catch (err) {
    note(`the email report was not sent: ${err instanceof Error ? err.message : String(err)}`, "warn");
  }
}

function warnings(result: JobResult): string {
  const vms = result.vms.filter((v) => v.state === "warning" || v.state === "skipped");
  const steps = result.followUps.filter((f) => !f.ok).map((f) => `${f.step}: ${f.message}`);
  return [...vms.map((v) => `${v.vm.name}: ${v.messages[0] ?? v.state}`), ...steps].join("; ");
}

function failures(result: JobResult): string {
  const failed = result.vms.filter((v) => v.state === "failed" || v.state === "skipped");
  if (failed.length === 0) return "nothing was backed up";
  return failed.map((v) => `${v.vm.name}: ${v.messages[0] ?? v.state}`).join("; ");
}
