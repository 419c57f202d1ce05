/** The commands that make and use restore points: init, backup, snapshots, restore. */
import { CorruptDataError, UsageError } from "../common/errors.js";
import { formatBytes, parseSize } from "../common/size.js";
import type { BackupPhase } from "../engines/progress.js";
import { DEFAULT_CHUNK_SIZE } from "../repository/file-formats.js";
import { common, count, positional, repoOf, str, type Command } from "./command.js";
import { passwordProvider } from "./password.js";
import {
  backupKindOf,
  backupVsphereIfNamed,
  consistencyLine,
  vsphereBackupOptions,
} from "./backup-vsphere.js";
import { restoreToVsphereIfAsked, vsphereRestoreOptions, VSPHERE_RESTORE_USAGE } from "./restore-vsphere.js";
import {
  ORIGINAL_RESTORE_USAGE,
  originalRestoreOptions,
  restoreToOriginalIfAsked,
} from "./restore-original.js";

export const backupCommands: Record<string, Command> = {
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
      const result = await (
        await import("../services/repository-service.js")
      ).initRepository({
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
    summary: "back up a disk image, a block device, a local VM or a vSphere VM",
    usage:
      "backup --repo DIR SOURCE [--changed-ranges FILE] [--resume] [--full] [--type incremental|differential|full|active-full] [--json]\n" +
      "       snapferry backup --repo DIR vsphere://HOST[:PORT]/VM --user USER [--accept-thumbprint SHA256] [--type ...] [--enable-cbt] [--allow-crash-consistent] [--json]",
    options: {
      ...common,
      "changed-ranges": { type: "string" },
      resume: { type: "boolean" },
      full: { type: "boolean" },
      ...vsphereBackupOptions,
    },
    async run(ctx) {
      const ref = repoOf(ctx);
      const source = positional(ctx, 0, "SOURCE (the disk image to back up)");
      const changed = str(ctx, "changed-ranges");
      const onNote = (note: string): unknown =>
        ctx.out.json ? ctx.out.object({ note }) : process.stderr.write(`note: ${note}\n`);
      // Scripts follow the phases with --json; the human output stays as it was.
      const onPhase = ctx.out.json ? (phase: BackupPhase) => ctx.out.object({ phase }) : undefined;
      const type = backupKindOf(ctx);
      const rp =
        (await backupVsphereIfNamed(ctx, ref, source, onNote, onPhase)) ??
        (await (
          await import("../services/repository-service.js")
        ).backup({
          ...ref,
          source,
          ...(changed ? { changedRangesFile: changed } : {}),
          ...(type ? { type } : {}),
          resume: ctx.values.resume === true,
          full: ctx.values.full === true,
          onProgress: (e) => ctx.out.progress(e),
          ...(onPhase ? { onPhase } : {}),
          onNote,
          signal: ctx.signal,
        }));
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
          consistency: rp.consistency,
          durationMs: rp.durationMs,
          ...stats,
        });
        return;
      }
      ctx.out.line(
        `${rp.type} backup of ${rp.source.location}: read ${formatBytes(stats.read)}, new ${formatBytes(stats.fresh)}, stored ${formatBytes(stats.stored)} in ${(rp.durationMs / 1000).toFixed(1)} s`,
      );
      const consistency = consistencyLine(rp);
      if (consistency) ctx.out.line(consistency);
      ctx.out.line(rp.id);
    },
  },

  snapshots: {
    summary: "list restore points",
    usage: "snapshots --repo DIR [--json]",
    options: common,
    async run(ctx) {
      const ref = repoOf(ctx);
      const { points, damaged } = await (
        await import("../services/repository-service.js")
      ).listRestorePoints(ref);
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
    summary: "restore a restore point to a file, a block device, a new vSphere VM or the original VM",
    usage:
      "restore --repo DIR RESTORE_POINT --target PATH [--disk N] [--format raw|vmdk|vmdk-stream|vmdk-flat|qcow2|vhdx] [--vm-folder] [--overwrite] [--json]\n       " +
      VSPHERE_RESTORE_USAGE +
      "\n       " +
      ORIGINAL_RESTORE_USAGE,
    options: {
      ...common,
      ...vsphereRestoreOptions,
      ...originalRestoreOptions,
      target: { type: "string" },
      disk: { type: "string" },
      overwrite: { type: "boolean" },
      format: { type: "string" },
      "vm-folder": { type: "boolean" },
    },
    async run(ctx) {
      const ref = repoOf(ctx);
      const restorePoint = positional(ctx, 0, "RESTORE_POINT (an id from `snapferry snapshots`, or latest)");
      if (await restoreToOriginalIfAsked(ctx, ref, restorePoint)) return;
      if (await restoreToVsphereIfAsked(ctx, ref, restorePoint)) return;
      const target = str(ctx, "target");
      if (!target)
        throw new UsageError("--target is required", "Give the file or device to write the disk to.");
      const disk = count(ctx, "disk");
      const result = await (
        await import("../services/repository-service.js")
      ).restore({
        ...ref,
        restorePoint,
        target,
        ...(disk !== undefined ? { disk } : {}),
        overwrite: ctx.values.overwrite === true,
        ...(str(ctx, "format")
          ? {
              format: (await import("../services/image-service.js")).parseWriteFormat(
                str(ctx, "format") ?? "raw",
              ),
            }
          : {}),
        vmFolder: ctx.values["vm-folder"] === true,
        onProgress: (e) => ctx.out.progress(e),
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      if (ctx.out.json) ctx.out.object({ restorePoint: result.restorePoint.id, written: result.written });
      for (const file of result.written) ctx.out.line(`restored ${file}`);
    },
  },
};
