/** `snapferry job`: list, show, run, export and import jobs (the app's catalog and keychain). */
import { readFile, writeFile } from "node:fs/promises";
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { JobResult } from "../jobs/job-runner.js";
import { str, type Command, type CommandContext } from "./command.js";

export const jobCommands: Record<string, Command> = {
  job: {
    summary: "list, show, run, export or import backup jobs",
    usage:
      "job list | job show NAME | job run NAME | job export NAME [--output FILE] | job import FILE [--name NAME]   [--json]",
    options: { json: { type: "boolean" }, output: { type: "string" }, name: { type: "string" } },
    async run(ctx) {
      const [action, arg, ...rest] = ctx.positionals;
      if (rest.length > 0) throw new UsageError(`job ${action ?? ""} takes one argument`);
      if (action !== "list" && arg === undefined) {
        throw new UsageError(
          `job ${action ?? ""} needs ${action === "import" ? "a file" : "a job name"}`,
          "See snapferry job --help.",
        );
      }
      const { openCliAppContext } = await import("../services/cli-app-context.js");
      // Loaded here, not at the top: croner would otherwise load with every command.
      const { describeSchedule, nextRun } = await import("../jobs/schedule.js");
      const jobs = await import("../services/job-service.js");
      const app = await openCliAppContext((m) => process.stderr.write(`snapferry: ${m}\n`));
      try {
        const { catalog } = app;
        switch (action) {
          case "list": {
            const all = jobs.listJobs(catalog);
            if (ctx.out.json)
              ctx.out.object(all.map((j) => ({ id: j.job.id, name: j.job.name, settings: j.settings })));
            for (const { job, settings } of all) {
              const next = settings.schedule
                ? nextRun(settings.schedule, new Date(), settings.timeZone)
                : null;
              ctx.out.line(
                `${job.name}  ${settings.schedule ? describeSchedule(settings.schedule) : "not scheduled"}${next ? `  next ${next.toISOString()}` : ""}`,
              );
            }
            if (all.length === 0) ctx.out.line("no jobs");
            return;
          }
          case "show": {
            const { job, settings } = jobs.findJob(catalog, arg ?? "");
            ctx.out.object({ id: job.id, name: job.name, createdAt: job.createdAt, settings });
            return;
          }
          case "export": {
            const text = JSON.stringify(jobs.exportJob(catalog, arg ?? ""), null, 2) + "\n";
            const output = str(ctx, "output");
            if (output) await writeFile(output, text);
            else process.stdout.write(text);
            return;
          }
          case "import": {
            const file = arg ?? "";
            const name = str(ctx, "name");
            const saved = jobs.importJob(
              catalog,
              await readFile(file, "utf8").catch(() => {
                throw new UsageError(`cannot read ${file}`);
              }),
              file,
              name,
            );
            if (ctx.out.json) ctx.out.object({ id: saved.id, name: saved.name });
            ctx.out.line(`imported job "${saved.name}" (${saved.id})`);
            return;
          }
          case "run":
            await runNow(ctx, app.ctx, jobs, arg ?? "");
            return;
          default:
            throw new UsageError(
              `unknown job action "${action ?? ""}"`,
              "Use list, show, run, export or import.",
            );
        }
      } finally {
        await app.close();
      }
    },
  },
};

async function runNow(
  ctx: CommandContext,
  appCtx: Parameters<typeof import("../services/job-service.js").startJobRun>[0],
  jobs: typeof import("../services/job-service.js"),
  name: string,
): Promise<void> {
  const scheduled = jobs.findJob(appCtx.catalog, name);
  // Unattended runs use the keychain; a terminal may give the repository password instead.
  const given = process.env.SNAPFERRY_PASSWORD;
  const started = jobs.startJobRun(appCtx, scheduled, {
    reason: "run by hand from the command line",
    ...(given ? { passwords: { repository: given } } : {}),
  });
  ctx.signal.addEventListener("abort", () => appCtx.runs.cancel(started.runId), { once: true });
  let result: JobResult;
  try {
    result = await started.result;
  } finally {
    await appCtx.runs.idle();
  }
  if (ctx.out.json) ctx.out.object({ runId: started.runId, ...result });
  for (const vm of result.vms) {
    ctx.out.line(
      `${vm.state.padEnd(7)} ${vm.vm.name}${vm.restorePointId ? `  restore point ${vm.restorePointId.slice(0, 8)}` : ""}  ` +
        `${formatBytes(vm.bytesRead)} read, ${formatBytes(vm.bytesStored)} stored${vm.attempts > 1 ? `, ${vm.attempts} attempts` : ""}` +
        `${vm.messages.length > 0 ? `  (${vm.messages.join("; ")})` : ""}`,
    );
  }
  for (const f of result.followUps) ctx.out.line(`${f.ok ? "ok     " : "FAILED "} ${f.step}: ${f.message}`);
  ctx.out.line(`job ${scheduled.job.name}: ${result.state}`);
  if (result.state === "failed") process.exitCode = 1;
}
