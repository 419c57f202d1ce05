/** `snapferry copy`: backup copy to a second repository (3-2-1), re-encrypted with its own key. */
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { str, type Command, type CommandContext } from "./command.js";
import { passwordProvider } from "./password.js";
import type { RepoRef } from "../services/repository-service.js";

export const copyCommands: Record<string, Command> = {
  copy: {
    summary: "copy restore points to a second repository (only the chunks it lacks)",
    usage:
      "copy --from DIR --to DIR [--latest | RESTORE_POINT...] [--from-password-file F] [--to-password-file F] [--json]",
    options: {
      from: { type: "string" },
      to: { type: "string" },
      latest: { type: "boolean" },
      "from-password-file": { type: "string" },
      "to-password-file": { type: "string" },
      json: { type: "boolean" },
    },
    async run(ctx) {
      const from = endpoint(ctx, "from", "the source repository", "SNAPFERRY_FROM_PASSWORD");
      const to = endpoint(ctx, "to", "the target repository", "SNAPFERRY_TO_PASSWORD");
      if (ctx.values.latest === true && ctx.positionals.length > 0) {
        throw new UsageError("give either --latest or restore points, not both");
      }
      const { copyRestorePoints, latestOfEachSource } = await import("../services/copy-service.js");
      const restorePoints = ctx.values.latest === true ? await latestOfEachSource(from) : ctx.positionals;
      const results = await copyRestorePoints({
        from,
        to,
        restorePoints,
        onProgress: (e) => ctx.out.progress(e),
        onNote: (n) => {
          ctx.out.endProgress();
          ctx.out.line(`note: ${n}`);
        },
        onCopied: (r) => {
          ctx.out.endProgress();
          ctx.out.line(
            r.copied
              ? `copied  ${r.id.slice(0, 8)}  ${r.time}  ${r.source}: read ${formatBytes(r.bytesRead)}, stored ${formatBytes(r.bytesStored)}`
              : `present ${r.id.slice(0, 8)}  ${r.time}  ${r.source}: already in the target`,
          );
        },
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      const copied = results.filter((r) => r.copied);
      if (ctx.out.json) {
        ctx.out.object({
          results,
          copied: copied.map((r) => r.id),
          present: results.filter((r) => !r.copied).map((r) => r.id),
          bytesStored: copied.reduce((n, r) => n + r.bytesStored, 0),
        });
      }
      ctx.out.line(
        `${copied.length} restore point(s) copied, ${results.length - copied.length} already there`,
      );
    },
  },
};

function endpoint(ctx: CommandContext, option: "from" | "to", name: string, variable: string): RepoRef {
  const repo = str(ctx, option);
  if (!repo) throw new UsageError(`--${option} is required`, `Give ${name} with --${option} DIR.`);
  const fileOption = `--${option}-password-file`;
  return {
    repo,
    password: passwordProvider(str(ctx, `${option}-password-file`), false, {
      env: [variable, "SNAPFERRY_PASSWORD"],
      name,
      prompt: `${name[4]?.toUpperCase() ?? ""}${name.slice(5)} password: `,
      fileOption,
    }),
  };
}
