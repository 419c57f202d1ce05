/**
 * "Verify" from the app: a background run that proves restore points restorable (verify-service.ts)
 * and records each outcome in the catalog as it comes, so the restore point list turns green (a
 * date) or red (the reason) even if the run is cancelled part-way.
 */
import type { ApiInput } from "../../preload/contract.js";
import { SnapferryError } from "../common/errors.js";
import { openRepository, repositoryOf, type AppContext } from "./app-context.js";
import { refreshCache } from "./app-backup.js";
import { verify } from "./verify-service.js";

export async function startVerify(
  ctx: AppContext,
  input: ApiInput<"restorePoints.verify">,
): Promise<{ runId: string }> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const which = input.restorePointId
    ? `restore point ${input.restorePointId.slice(0, 8)}`
    : "all restore points";
  const run = ctx.runs.start(
    {
      jobId: null,
      kind: "check",
      title: `Verify ${which} of ${repo.name}`,
      repositoryId: repo.repositoryId,
      cancellable: true,
    },
    async (run) => {
      // The cached list must hold the restore points before outcomes can be recorded against them.
      await refreshCache(ctx, repo, password.provider, run);
      let failed = 0;
      await verify({
        repo: repo.path,
        ...(password.provider ? { password: password.provider } : {}),
        ...(input.restorePointId ? { restorePoint: input.restorePointId } : {}),
        onProgress: run.progress,
        signal: run.signal,
        onResult: (result) => {
          ctx.catalog.restorePoints.recordVerification(
            repo.repositoryId,
            result.restorePoint,
            result.ok
              ? { at: result.at, ok: true }
              : { at: result.at, ok: false, reason: result.reason ?? "" },
          );
          for (const disk of result.disks) {
            for (const fs of disk.fileSystems)
              run.note(`restore point ${result.restorePoint.slice(0, 8)} disk ${disk.index}: ${fs.summary}`);
          }
          if (result.ok) run.note(`restore point ${result.restorePoint.slice(0, 8)} verified`);
          else {
            failed++;
            run.note(
              `restore point ${result.restorePoint.slice(0, 8)} failed verification: ${result.reason ?? ""}`,
              "error",
            );
          }
        },
      });
      if (failed > 0) {
        throw new SnapferryError(
          "corrupt-data",
          `${failed} restore point(s) of ${repo.name} failed verification`,
          "The log and the restore point list give the reason; back the VM up again and check the repository.",
        );
      }
      return {};
    },
  );
  return { runId: run.id };
}
