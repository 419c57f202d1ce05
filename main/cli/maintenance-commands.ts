/** Repository upkeep: check, forget, prune, stats, rebuild-index, unlock. */
import type { PruneReport } from "../services/maintenance-service.js";
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { common, count, repoOf, str, type Command, type CommandContext } from "./command.js";

export const maintenanceCommands: Record<string, Command> = {
  check: {
    summary: "verify the repository (with --read-data, every stored byte)",
    usage: "check --repo DIR [--read-data] [--json]",
    options: { ...common, "read-data": { type: "boolean" } },
    async run(ctx) {
      const report = await (
        await import("../services/maintenance-service.js")
      ).check({
        ...repoOf(ctx),
        readData: ctx.values["read-data"] === true,
        onProgress: (e) => ctx.out.progress(e),
      });
      ctx.out.endProgress();
      if (ctx.out.json) ctx.out.object(report);
      for (const note of report.notes) ctx.out.line(`note: ${note}`);
      for (const p of report.problems) ctx.out.line(`error: ${p.message}`);
      for (const d of report.damagedRestorePoints) {
        ctx.out.line(`damaged: restore point ${d.id}${d.disks.length ? ` disk ${d.disks.join(", ")}` : ""}`);
      }
      ctx.out.line(
        report.problems.length === 0
          ? `no problems found (${report.restorePoints} restore points, ${report.packs} packs${report.readData ? ", all data read" : ""})`
          : `${report.problems.length} problems found`,
      );
      if (report.problems.length > 0) process.exitCode = 1;
    },
  },

  forget: {
    summary: "remove restore points by a retention policy",
    usage:
      "forget --repo DIR [--keep-last N] [--keep-daily N] [--keep-weekly N] [--keep-monthly N] [--keep-yearly N] [--dry-run] [--prune]",
    options: {
      ...common,
      "keep-last": { type: "string" },
      "keep-daily": { type: "string" },
      "keep-weekly": { type: "string" },
      "keep-monthly": { type: "string" },
      "keep-yearly": { type: "string" },
      "dry-run": { type: "boolean" },
      prune: { type: "boolean" },
    },
    async run(ctx) {
      const policy = {
        last: count(ctx, "keep-last") ?? 0,
        daily: count(ctx, "keep-daily") ?? 0,
        weekly: count(ctx, "keep-weekly") ?? 0,
        monthly: count(ctx, "keep-monthly") ?? 0,
        yearly: count(ctx, "keep-yearly") ?? 0,
      };
      if (Object.values(policy).every((n) => n === 0)) {
        throw new UsageError(
          "forget needs a policy",
          "Give at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly, --keep-yearly.",
        );
      }
      const dryRun = ctx.values["dry-run"] === true;
      const result = await (
        await import("../services/maintenance-service.js")
      ).forget({ ...repoOf(ctx), policy, dryRun });
      if (ctx.out.json) ctx.out.object(result);
      for (const k of result.keep)
        ctx.out.line(`keep    ${k.id.slice(0, 8)}  ${k.time}  ${k.reasons.join(", ")}`);
      for (const r of result.remove)
        ctx.out.line(`${dryRun ? "would remove" : "removed"} ${r.id.slice(0, 8)}  ${r.time}`);
      if (ctx.values.prune === true && !dryRun)
        await printPrune(ctx, await (await import("../services/maintenance-service.js")).prune(repoOf(ctx)));
    },
  },

  prune: {
    summary: "reclaim the space of data no restore point uses",
    usage: "prune --repo DIR [--json]",
    options: common,
    async run(ctx) {
      await printPrune(ctx, await (await import("../services/maintenance-service.js")).prune(repoOf(ctx)));
    },
  },

  stats: {
    summary: "show repository size and deduplication",
    usage: "stats --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const s = await (await import("../services/maintenance-service.js")).stats(repoOf(ctx));
      if (ctx.out.json) {
        ctx.out.object(s);
        return;
      }
      ctx.out.line(`repository ${s.id} (${s.encryption}, chunk size ${formatBytes(s.chunkSize)})`);
      ctx.out.line(`restore points: ${s.restorePoints}`);
      ctx.out.line(`logical size of all disks: ${formatBytes(s.logicalBytes)}`);
      ctx.out.line(`unique chunks: ${s.chunks} (${formatBytes(s.chunkBytes)} before compression)`);
      ctx.out.line(`stored in ${s.packs} packs: ${formatBytes(s.packBytes)}`);
      ctx.out.line(
        `space saving (dedup + holes + compression): ${s.logicalBytes > 0 ? ((1 - s.packBytes / s.logicalBytes) * 100).toFixed(1) : "0"}%`,
      );
    },
  },

  "rebuild-index": {
    summary: "recreate the index from the pack files",
    usage: "rebuild-index --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const r = await (await import("../services/maintenance-service.js")).rebuildIndex(repoOf(ctx));
      if (ctx.out.json) ctx.out.object(r);
      ctx.out.line(
        `indexed ${r.blobs} blobs in ${r.packs} packs${r.skipped ? `; ${r.skipped} unreadable packs skipped` : ""}`,
      );
    },
  },

  unlock: {
    summary: "remove stale locks (with --remove-all, every lock)",
    usage: "unlock --repo DIR [--remove-all]",
    options: { repo: { type: "string" }, "remove-all": { type: "boolean" }, json: { type: "boolean" } },
    async run(ctx) {
      const repo = str(ctx, "repo") ?? process.env.SNAPFERRY_REPOSITORY;
      if (!repo) throw new UsageError("--repo is required");
      const removed = await (
        await import("../services/maintenance-service.js")
      ).unlock(repo, ctx.values["remove-all"] === true);
      if (ctx.out.json) ctx.out.object({ removed });
      for (const l of removed)
        ctx.out.line(`removed ${l.kind} lock of ${l.operation} on ${l.host} (pid ${l.pid})`);
      if (removed.length === 0) ctx.out.line("no locks removed");
    },
  },
};

async function printPrune(ctx: CommandContext, r: PruneReport): Promise<void> {
  if (ctx.out.json) {
    ctx.out.object({ prune: r });
    return;
  }
  ctx.out.line(
    `prune: removed ${r.packsRemoved} packs, rewrote ${r.packsRepacked}, freed ${formatBytes(r.bytesFreed)}; ${r.packsKept} packs kept`,
  );
}
