/**
 * The `snapferry` commands: each parses its options, calls a service and prints the result.
 * Nothing here knows how a repository works.
 */
import { CorruptDataError, UsageError } from "../common/errors.js";
import { formatBytes, parseSize } from "../common/size.js";
import { DEFAULT_CHUNK_SIZE } from "../repository/file-formats.js";
import * as service from "../services/repository-service.js";
import * as maintenance from "../services/maintenance-service.js";
import * as images from "../services/image-service.js";
import type { Output } from "./output.js";
import { passwordProvider } from "./password.js";

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  out: Output;
  signal: AbortSignal;
}

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean" }>;
  run(ctx: CommandContext): Promise<void>;
}

const common = {
  repo: { type: "string" },
  "password-file": { type: "string" },
  json: { type: "boolean" },
} as const;

function repoOf(ctx: CommandContext): service.RepoRef {
  const repo = str(ctx, "repo") ?? process.env.SNAPFERRY_REPOSITORY;
  if (!repo) throw new UsageError("--repo is required", "Give the repository folder with --repo DIR.");
  return { repo, password: passwordProvider(str(ctx, "password-file")) };
}

function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

function count(ctx: CommandContext, name: string): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not "${v}"`);
  return Number(v);
}

function positional(ctx: CommandContext, n: number, what: string): string {
  const v = ctx.positionals[n];
  if (v === undefined) throw new UsageError(`${what} is missing`);
  return v;
}

export const commands: Record<string, Command> = {
  init: {
    summary: "create a repository",
    usage: "init --repo DIR [--encryption aes256gcm|none] [--chunk-size 1M]",
    options: { ...common, encryption: { type: "string" }, "chunk-size": { type: "string" } },
    async run(ctx) {
      const encryption = str(ctx, "encryption") ?? "aes256gcm";
      if (encryption !== "aes256gcm" && encryption !== "none") {
        throw new UsageError(
          `unknown encryption "${encryption}"`,
          "Use --encryption aes256gcm (the default) or none.",
        );
      }
      const chunkText = str(ctx, "chunk-size");
      const ref = repoOf(ctx);
      const result = await service.initRepository({
        repo: ref.repo,
        encryption,
        chunkSize: chunkText ? parseSize(chunkText) : DEFAULT_CHUNK_SIZE,
        ...(encryption === "aes256gcm"
          ? { password: passwordProvider(str(ctx, "password-file"), true) }
          : {}),
      });
      if (ctx.out.json) ctx.out.object(result);
      ctx.out.line(`created repository ${result.id} at ${result.path}`);
      ctx.out.line(`chunk size ${formatBytes(result.chunkSize)}`);
      ctx.out.line(
        encryption === "none"
          ? "encryption: NONE. Anyone who can read this folder can read every backup in it."
          : "encryption: AES-256-GCM. Keep the password safe: without it nothing can be restored.",
      );
    },
  },

  backup: {
    summary: "back up a disk image or block device",
    usage: "backup --repo DIR SOURCE [--changed-ranges FILE] [--resume] [--full] [--json]",
    options: {
      ...common,
      "changed-ranges": { type: "string" },
      resume: { type: "boolean" },
      full: { type: "boolean" },
    },
    async run(ctx) {
      const ref = repoOf(ctx);
      const source = positional(ctx, 0, "SOURCE (the disk image to back up)");
      const changed = str(ctx, "changed-ranges");
      const rp = await service.backup({
        ...ref,
        source,
        ...(changed ? { changedRangesFile: changed } : {}),
        resume: ctx.values.resume === true,
        full: ctx.values.full === true,
        onProgress: (e) => ctx.out.progress(e),
        onNote: (note) => (ctx.out.json ? ctx.out.object({ note }) : process.stderr.write(`note: ${note}\n`)),
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      const stats = rp.disks.reduce(
        (s, d) => ({
          read: s.read + d.stats.bytesRead,
          fresh: s.fresh + d.stats.bytesNew,
          stored: s.stored + d.stats.bytesStored,
        }),
        { read: 0, fresh: 0, stored: 0 },
      );
      if (ctx.out.json) {
        ctx.out.object({
          restorePoint: rp.id,
          type: rp.type,
          parent: rp.parent,
          durationMs: rp.durationMs,
          ...stats,
        });
        return;
      }
      ctx.out.line(
        `${rp.type} backup of ${rp.source.location}: read ${formatBytes(stats.read)}, new ${formatBytes(stats.fresh)}, stored ${formatBytes(stats.stored)} in ${(rp.durationMs / 1000).toFixed(1)} s`,
      );
      ctx.out.line(rp.id);
    },
  },

  snapshots: {
    summary: "list restore points",
    usage: "snapshots --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const ref = repoOf(ctx);
      const { points, damaged } = await service.listRestorePoints(ref);
      if (ctx.out.json) {
        process.stdout.write(JSON.stringify(points) + "\n");
      } else {
        if (points.length === 0 && damaged.length === 0) ctx.out.line("no restore points");
        for (const p of points) {
          const size = p.disks.reduce((s, d) => s + d.size, 0);
          ctx.out.line(
            `${p.id.slice(0, 8)}  ${p.time}  ${p.type.padEnd(11)} ${p.consistency.padEnd(11)} ${formatBytes(size).padStart(10)}  ${p.vm?.name ?? p.source}`,
          );
        }
      }
      if (damaged.length > 0) {
        // The readable ones are listed above; the damaged ones make the command fail loudly.
        throw new CorruptDataError(
          damaged.map((d) => d.message).join("; "),
          `The other restore points can still be restored. Run \`snapferry check --repo ${ref.repo}\` to see what is affected.`,
        );
      }
    },
  },

  restore: {
    summary: "restore a disk of a restore point to a file or block device",
    usage:
      "restore --repo DIR RESTORE_POINT --target PATH [--disk N] [--format raw|vmdk|vmdk-stream|vmdk-flat|qcow2|vhdx] [--vm-folder] [--overwrite] [--json]",
    options: {
      ...common,
      target: { type: "string" },
      disk: { type: "string" },
      overwrite: { type: "boolean" },
      format: { type: "string" },
      "vm-folder": { type: "boolean" },
    },
    async run(ctx) {
      const ref = repoOf(ctx);
      const restorePoint = positional(ctx, 0, "RESTORE_POINT (an id from `snapferry snapshots`, or latest)");
      const target = str(ctx, "target");
      if (!target)
        throw new UsageError("--target is required", "Give the file or device to write the disk to.");
      const disk = count(ctx, "disk");
      const result = await service.restore({
        ...ref,
        restorePoint,
        target,
        ...(disk !== undefined ? { disk } : {}),
        overwrite: ctx.values.overwrite === true,
        ...(str(ctx, "format") ? { format: images.parseWriteFormat(str(ctx, "format") ?? "raw") } : {}),
        vmFolder: ctx.values["vm-folder"] === true,
        onProgress: (e) => ctx.out.progress(e),
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      if (ctx.out.json) ctx.out.object({ restorePoint: result.restorePoint.id, written: result.written });
      for (const file of result.written) ctx.out.line(`restored ${file}`);
    },
  },

  check: {
    summary: "verify the repository (with --read-data, every stored byte)",
    usage: "check --repo DIR [--read-data] [--json]",
    options: { ...common, "read-data": { type: "boolean" } },
    async run(ctx) {
      const report = await maintenance.check({
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
      const result = await maintenance.forget({ ...repoOf(ctx), policy, dryRun });
      if (ctx.out.json) ctx.out.object(result);
      for (const k of result.keep)
        ctx.out.line(`keep    ${k.id.slice(0, 8)}  ${k.time}  ${k.reasons.join(", ")}`);
      for (const r of result.remove)
        ctx.out.line(`${dryRun ? "would remove" : "removed"} ${r.id.slice(0, 8)}  ${r.time}`);
      if (ctx.values.prune === true && !dryRun) await printPrune(ctx, await maintenance.prune(repoOf(ctx)));
    },
  },

  prune: {
    summary: "reclaim the space of data no restore point uses",
    usage: "prune --repo DIR [--json]",
    options: common,
    async run(ctx) {
      await printPrune(ctx, await maintenance.prune(repoOf(ctx)));
    },
  },

  stats: {
    summary: "show repository size and deduplication",
    usage: "stats --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const s = await maintenance.stats(repoOf(ctx));
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

  inspect: {
    summary: "show a disk image's format, chain and allocation, or a VMware VM folder",
    usage: "inspect FILE-OR-FOLDER [--json]",
    options: { json: { type: "boolean" } },
    async run(ctx) {
      const report = await images.inspect(positional(ctx, 0, "FILE-OR-FOLDER"));
      if (ctx.out.json) {
        ctx.out.object(report);
        return;
      }
      if (report.kind === "vmware-folder") {
        const vm = report.vm;
        ctx.out.line(`VMware VM ${vm.name} (uuid ${vm.uuid ?? "unknown"})${vm.running ? " RUNNING" : ""}`);
        for (const d of vm.disks) ctx.out.line(`  ${d.slot}: ${d.file} (chain depth ${d.chainDepth})`);
        return;
      }
      const { info } = report;
      ctx.out.line(
        `${info.format} (${info.variant}), virtual size ${formatBytes(info.virtualSize)} (${info.virtualSize} bytes)`,
      );
      ctx.out.line(
        `allocated ${formatBytes(report.allocatedBytes)}, unallocated or zero ${formatBytes(report.zeroBytes)}`,
      );
      info.chain.forEach((layer, depth) =>
        ctx.out.line(
          `  ${depth === 0 ? "top" : `parent ${depth}`}: ${layer.path} (${layer.format} ${layer.variant}, file ${formatBytes(layer.fileSize)})`,
        ),
      );
    },
  },

  convert: {
    summary: "convert a disk image to another format (migrations)",
    usage: "convert IN OUT --format raw|vmdk|vmdk-stream|vmdk-flat|qcow2|vhdx [--overwrite] [--json]",
    options: { format: { type: "string" }, overwrite: { type: "boolean" }, json: { type: "boolean" } },
    async run(ctx) {
      const input = positional(ctx, 0, "IN (the image to convert)");
      const output = positional(ctx, 1, "OUT (the file to write)");
      const formatText = str(ctx, "format");
      if (!formatText)
        throw new UsageError("--format is required", "Name the output format, e.g. --format qcow2.");
      const result = await images.convert({
        input,
        output,
        format: images.parseWriteFormat(formatText),
        overwrite: ctx.values.overwrite === true,
        onProgress: (e) => ctx.out.progress(e),
      });
      ctx.out.endProgress();
      if (ctx.out.json)
        ctx.out.object({ output, bytesRead: result.bytesRead, bytesWritten: result.bytesWritten });
      ctx.out.line(
        `wrote ${output} from ${result.info.format} ${input}: read ${formatBytes(result.bytesRead)}, wrote ${formatBytes(result.bytesWritten)} of data`,
      );
    },
  },

  "rebuild-index": {
    summary: "recreate the index from the pack files",
    usage: "rebuild-index --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const r = await maintenance.rebuildIndex(repoOf(ctx));
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
      const removed = await maintenance.unlock(repo, ctx.values["remove-all"] === true);
      if (ctx.out.json) ctx.out.object({ removed });
      for (const l of removed)
        ctx.out.line(`removed ${l.kind} lock of ${l.operation} on ${l.host} (pid ${l.pid})`);
      if (removed.length === 0) ctx.out.line("no locks removed");
    },
  },
};

async function printPrune(ctx: CommandContext, r: maintenance.PruneReport): Promise<void> {
  if (ctx.out.json) {
    ctx.out.object({ prune: r });
    return;
  }
  ctx.out.line(
    `prune: removed ${r.packsRemoved} packs, rewrote ${r.packsRepacked}, freed ${formatBytes(r.bytesFreed)}; ${r.packsKept} packs kept`,
  );
}
