/**
 * The contract's calls for jobs, settings, the dashboard and the history's filters, mapped to the
 * modules that do the work (app-jobs, app-settings, app-dashboard). Kept apart from app-api.ts so
 * that each file stays one screen's worth of wiring.
 */
import type { Handlers } from "./app-api.js";
import { dashboard } from "./app-dashboard.js";
import * as jobs from "./app-jobs.js";
import * as settings from "./app-settings.js";

type JobHandlerNames =
  | "runs.list"
  | "runs.exportLog"
  | "jobs.list"
  | "jobs.save"
  | "jobs.remove"
  | "jobs.run"
  | "jobs.previewRetention"
  | "jobs.export"
  | "jobs.import"
  | "settings.get"
  | "settings.saveEmail"
  | "settings.testEmail"
  | "settings.setStartAtLogin"
  | "dashboard.get";

export function jobHandlers(
  ctx: jobs.JobsContext,
  loginItem: settings.LoginItem | undefined,
): Pick<Handlers, JobHandlerNames> {
  return {
    "runs.list": async (input) =>
      ctx.catalog.runs.list({
        ...(input.limit !== undefined ? { limit: input.limit } : {}),
        ...(input.jobId !== undefined ? { jobId: input.jobId } : {}),
        ...(input.status !== undefined ? { status: input.status } : {}),
        ...(input.vm ? { text: input.vm } : {}),
      }),
    "runs.exportLog": async (input) => {
      const run = ctx.catalog.runs.get(input.runId);
      const lines = ctx.catalog.runs
        .logs(input.runId)
        .map((l) => `${l.time}  ${l.level.padEnd(5)}  ${l.message}`);
      const head = run
        ? [
            `${run.title}: ${run.status}`,
            `started ${run.startedAt}${run.finishedAt ? `, ended ${run.finishedAt}` : ""}`,
            "",
          ]
        : [];
      return {
        fileName: `snapferry-run-${input.runId.slice(0, 8)}.log.txt`,
        text: [...head, ...lines, ""].join("\n"),
      };
    },
    "jobs.list": async () => jobs.listJobViews(ctx),
    "jobs.save": async (input) => jobs.saveJobView(ctx, input),
    "jobs.remove": async (input) => jobs.removeJob(ctx, input),
    "jobs.run": async (input) => jobs.runJobNow(ctx, input),
    "jobs.previewRetention": (input) => jobs.previewRetention(ctx, input),
    "jobs.export": async (input) => jobs.exportJobFile(ctx, input),
    "jobs.import": async (input) => jobs.importJobFile(ctx, input),
    "settings.get": () => settings.settingsView(ctx, loginItem),
    "settings.saveEmail": (input) => settings.saveEmail(ctx, loginItem, input),
    "settings.testEmail": () => settings.testEmail(ctx),
    "settings.setStartAtLogin": (input) => settings.setStartAtLogin(ctx, loginItem, input),
    "dashboard.get": (input) => dashboard(ctx, input),
  };
}
