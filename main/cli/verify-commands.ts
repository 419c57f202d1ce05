/** `snapferry verify`: restore verification, a health check to schedule. */
import { UsageError } from "../common/errors.js";
import { common, repoOf, str, type Command, type CommandContext } from "./command.js";
import type { RepoRef } from "../services/repository-service.js";
import type { RestorePointVerification } from "../services/verify-service.js";

export const verifyCommands: Record<string, Command> = {
  verify: {
    summary: "prove restore points restorable: read every chunk, open every file system",
    usage:
      "verify --repo DIR [RESTORE_POINT] [--temp-dir DIR] [--7z PATH] [--json]   (or: verify DIR [RESTORE_POINT])",
    options: { ...common, "temp-dir": { type: "string" }, "7z": { type: "string" } },
    async run(ctx) {
      const { ref, restorePoint } = verifyTarget(ctx);
      const { verify } = await import("../services/verify-service.js");
      const tempDir = str(ctx, "temp-dir");
      const sevenZipPath = str(ctx, "7z");
      const results = await verify({
        ...ref,
        ...(restorePoint ? { restorePoint } : {}),
        ...(tempDir ? { tempDir } : {}),
        ...(sevenZipPath ? { sevenZipPath } : {}),
        onProgress: (e) => ctx.out.progress(e),
        onResult: (r) => {
          ctx.out.endProgress();
          printResult(ctx, r);
        },
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      const { recordVerifications } = await import("../services/verify-record.js");
      const recorded = await recordVerifications(results, ref.password).catch(
        (err: unknown) => `not recorded: ${err instanceof Error ? err.message : String(err)}`,
      );
      const failed = results.filter((r) => !r.ok).length;
      if (ctx.out.json) ctx.out.object({ verified: results.length - failed, failed, results });
      ctx.out.line(`note: ${recorded}`);
      ctx.out.line(
        failed === 0
          ? `${results.length} restore point(s) verified`
          : `${failed} of ${results.length} restore point(s) failed verification`,
      );
      if (failed > 0) process.exitCode = 1;
    },
  },
};

/** The form `verify DIR [RP]` and the usual `verify --repo DIR [RP]` both work. */
function verifyTarget(ctx: CommandContext): { ref: RepoRef; restorePoint: string | undefined } {
  const [first, second, ...rest] = ctx.positionals;
  if (rest.length > 0) throw new UsageError("verify takes at most a repository and one restore point");
  if (str(ctx, "repo") !== undefined || process.env.SNAPFERRY_REPOSITORY) {
    if (second !== undefined) throw new UsageError("verify takes one restore point (or none, for all)");
    return { ref: repoOf(ctx), restorePoint: first };
  }
  if (first === undefined) throw new UsageError("verify needs a repository", "Give it with --repo DIR.");
  return { ref: repoOf({ ...ctx, values: { ...ctx.values, repo: first } }), restorePoint: second };
}

function printResult(ctx: CommandContext, r: RestorePointVerification): void {
  const head = `${r.ok ? "verified" : "FAILED  "} ${r.restorePoint.slice(0, 8)}  ${r.time}`;
  ctx.out.line(r.ok ? head : `${head}  ${r.reason ?? ""}`);
  for (const disk of r.disks) {
    for (const problem of disk.problems) ctx.out.line(`  disk ${disk.index}: ${problem}`);
    for (const fs of disk.fileSystems) ctx.out.line(`  disk ${disk.index}: ${fs.summary}`);
  }
}
