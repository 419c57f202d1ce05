/**
 * Jobs from the app: list (with each job's next slot and last run), save, remove, run now,
 * preview a retention policy before saving it, export and import. Saving or removing a job tells
 * the scheduler, which recomputes its next wake-up.
 */
import type { ApiInput, JobView, RetentionPreview } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import { describeSchedule, nextRun } from "../jobs/schedule.js";
import { parseJobSettings } from "../jobs/job-settings.js";
import { applyRetention } from "../repository/retention.js";
import { Repository } from "../repository/repository.js";
import { openRepository, repositoryOf, sourceOf, type AppContext } from "./app-context.js";
import { isOfSource } from "./job-deps.js";
import {
  exportJob,
  findJob,
  importJob,
  listJobs,
  saveJob,
  startJobRun,
  type ScheduledJob,
} from "./job-service.js";

export interface JobsContext extends AppContext {
  /** Called when jobs change, so that the scheduler re-arms its timer. */
  jobsChanged: () => void;
}

export function jobView(ctx: AppContext, { job, settings }: ScheduledJob): JobView {
  let next: Date | null = null;
  try {
    next = settings.schedule ? nextRun(settings.schedule, new Date(), settings.timeZone) : null;
  } catch {
    // A schedule that cannot be computed shows as not scheduled; the scheduler logs why.
  }
  return {
    id: job.id,
    name: job.name,
    settings,
    scheduleText: settings.schedule ? describeSchedule(settings.schedule) : "not scheduled",
    nextRun: next?.toISOString() ?? null,
    lastRun: ctx.catalog.runs.list({ jobId: job.id, limit: 1 })[0] ?? null,
    running: ctx.runs.isJobRunning(job.id),
  };
}

export function listJobViews(ctx: AppContext): JobView[] {
  return listJobs(ctx.catalog).map((j) => jobView(ctx, j));
}

export function saveJobView(ctx: JobsContext, input: ApiInput<"jobs.save">): JobView {
  const settings = parseJobSettings(input.settings, `job "${input.name}"`);
  if (input.id !== undefined && !ctx.catalog.jobs.get(input.id)) {
    throw new SnapferryError("not-found", `job ${input.id} does not exist any more`, "Create it again.");
  }
  const saved = saveJob(ctx.catalog, input.name, settings, input.id);
  ctx.jobsChanged();
  return jobView(ctx, findJob(ctx.catalog, saved.id));
}

export function removeJob(ctx: JobsContext, input: ApiInput<"jobs.remove">): { removed: boolean } {
  const removed = ctx.catalog.jobs.remove(findJob(ctx.catalog, input.jobId).job.id);
  ctx.jobsChanged();
  return { removed };
}

export function runJobNow(ctx: AppContext, input: ApiInput<"jobs.run">): { runId: string } {
  const scheduled = findJob(ctx.catalog, input.jobId);
  if (ctx.runs.isJobRunning(scheduled.job.id)) {
    throw new SnapferryError(
      "usage",
      `job "${scheduled.job.name}" is running already`,
      "Wait for it to end.",
    );
  }
  return { runId: startJobRun(ctx, scheduled, { reason: "started by hand in the app" }).runId };
}

/** The restore points of the source's machines in the repository, kept and removed by the policy. */
export async function previewRetention(
  ctx: AppContext,
  input: ApiInput<"jobs.previewRetention">,
): Promise<RetentionPreview> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const source = sourceOf(ctx, input.sourceId);
  const { password } = await openRepository(ctx, repo, input.password);
  const { points } = await (await Repository.open(repo.path, password.provider)).listRestorePoints();
  const mine = points.filter((p) => isOfSource(source, p.source.location));
  const decisions = applyRetention(mine, input.retention);
  return {
    keep: decisions.filter((d) => d.keep).map((d) => ({ id: d.id, time: d.time, reasons: d.reasons })),
    remove: decisions.filter((d) => !d.keep).map((d) => ({ id: d.id, time: d.time })),
  };
}

export function exportJobFile(
  ctx: AppContext,
  input: ApiInput<"jobs.export">,
): { fileName: string; json: string } {
  const exported = exportJob(ctx.catalog, input.jobId);
  const safe = exported.name.replace(/[^A-Za-z0-9._-]+/g, "-").replace(/^-+|-+$/g, "") || "job";
  return { fileName: `${safe}.snapferry-job.json`, json: JSON.stringify(exported, null, 2) + "\n" };
}

export function importJobFile(ctx: JobsContext, input: ApiInput<"jobs.import">): JobView {
  const saved = importJob(ctx.catalog, input.json, "the imported job", input.name);
  ctx.jobsChanged();
  return jobView(ctx, findJob(ctx.catalog, saved.id));
}
