/**
 * Repository upkeep started from the app: check (with or without reading every byte) and prune by
 * a GFS policy. Both take the repository's exclusive lock and cannot stop part-way (the engines take
 * no signal), so their runs are not cancellable.
 */
import type { ApiInput } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { check, forget, prune } from "./maintenance-service.js";
import { openRepository, repositoryOf, type AppContext } from "./app-context.js";
import { refreshCache } from "./app-backup.js";

export async function startCheck(
  ctx: AppContext,
  input: ApiInput<"repositories.check">,
): Promise<{ runId: string }> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const title = `Check ${repo.name}${input.readData ? " (reading all data)" : ""}`;
  const run = ctx.runs.start(
    { jobId: null, kind: "check", title, repositoryId: repo.repositoryId, cancellable: false },
    async (run) => {
      const report = await check({
        repo: repo.path,
        ...(password.provider ? { password: password.provider } : {}),
        readData: input.readData,
        onProgress: run.progress,
      });
      for (const note of report.notes) run.note(note);
      for (const problem of report.problems) run.note(problem.message, "error");
      for (const d of report.damagedRestorePoints) {
        run.note(
          `damaged: restore point ${d.id}${d.disks.length ? ` disk ${d.disks.join(", ")}` : ""}`,
          "error",
        );
      }
      await refreshCache(ctx, repo, password.provider, run);
      if (input.readData) {
        const damaged = new Set(report.damagedRestorePoints.map((d) => d.id));
        const verified = ctx.catalog.restorePoints
          .list(repo.repositoryId)
          .map((p) => p.id)
          .filter((id) => !damaged.has(id));
        ctx.catalog.restorePoints.markVerified(repo.repositoryId, verified, new Date().toISOString());
      }
      if (report.problems.length > 0) {
        throw new SnapferryError(
          "corrupt-data",
          `${report.problems.length} problem(s) found in ${repo.name}`,
          "The log lists them and the restore points they affect; the others can still be restored.",
        );
      }
      run.note(
        `no problems found (${report.restorePoints} restore points, ${report.packs} packs${report.readData ? ", all data read" : ""})`,
      );
      return {};
    },
  );
  return { runId: run.id };
}

export async function startPrune(
  ctx: AppContext,
  input: ApiInput<"repositories.prune">,
): Promise<{ runId: string }> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const policy = {
    last: input.keepLast,
    daily: input.keepDaily ?? 0,
    weekly: input.keepWeekly ?? 0,
    monthly: input.keepMonthly ?? 0,
    yearly: 0,
  };
  const run = ctx.runs.start(
    {
      jobId: null,
      kind: "prune",
      title: `Prune ${repo.name}`,
      repositoryId: repo.repositoryId,
      cancellable: false,
    },
    async (run) => {
      const ref = { repo: repo.path, ...(password.provider ? { password: password.provider } : {}) };
      const forgotten = await forget({ ...ref, policy, dryRun: false });
      for (const r of forgotten.remove) run.note(`removed restore point ${r.id.slice(0, 8)} of ${r.time}`);
      run.note(`kept ${forgotten.keep.length} restore point(s)`);
      const report = await prune(ref);
      run.note(
        `removed ${report.packsRemoved} packs, rewrote ${report.packsRepacked}, freed ${formatBytes(report.bytesFreed)}; ${report.packsKept} packs kept`,
      );
      await refreshCache(ctx, repo, password.provider, run);
      return {};
    },
  );
  return { runId: run.id };
}
