/** Instant recovery: `serve` a restore point over NBD, and `finalize` what was served to a file. */
import { UsageError } from "../common/errors.js";
import type { InstantRecoveryStatus } from "../services/instant-recovery-service.js";
import { common, count, positional, repoOf, str, type Command, type CommandContext } from "./command.js";

const RESTORE_POINT = "RESTORE_POINT (an id from `snapferry snapshots`, or latest)";

function port(ctx: CommandContext): number | undefined {
  const p = count(ctx, "port");
  if (p !== undefined && p > 65535) throw new UsageError(`--port takes 0 to 65535, not ${p}`);
  return p;
}

/** How to use the export, for the people who will: on stderr, so stdout's first line stays the URL. */
function usageHints(status: InstantRecoveryStatus): string[] {
  const { url, overlay, host, port, exportName } = status;
  return [
    `serving ${url} (writes go to the overlay ${overlay}; the repository is never modified)`,
    `  qemu:    qemu-system-x86_64 -m 2048 -drive file=${url},format=raw,if=virtio`,
    `  libvirt: <disk type='network' device='disk'><driver name='qemu' type='raw'/><source protocol='nbd' name='${exportName}'><host name='${host}' port='${port}'/></source><target dev='vda' bus='virtio'/></disk>`,
    `  Proxmox: qm set VMID --args '-drive file=${url},format=raw,if=virtio' (NBD is no Proxmox storage; or finalize, then qm importdisk)`,
    `  keep it: snapferry finalize --repo REPO RESTORE_POINT --overlay ${overlay} --target FILE [--format qcow2]`,
    "press Ctrl-C to stop (the overlay is flushed first)",
  ];
}

function waitForStop(signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      process.off("SIGTERM", done);
      signal.removeEventListener("abort", done);
      resolve();
    };
    if (signal.aborted) return resolve();
    process.on("SIGTERM", done);
    signal.addEventListener("abort", done);
  });
}

export const serveCommands: Record<string, Command> = {
  serve: {
    summary: "instant recovery: serve a restore point's disk over NBD (writes go to an overlay)",
    usage:
      "serve --repo DIR RESTORE_POINT [--disk N] [--port P] [--listen HOST --allow-remote] [--overlay FILE] [--name NAME] [--json]",
    options: {
      ...common,
      disk: { type: "string" },
      port: { type: "string" },
      listen: { type: "string" },
      "allow-remote": { type: "boolean" },
      overlay: { type: "string" },
      name: { type: "string" },
    },
    async run(ctx) {
      const restorePoint = positional(ctx, 0, RESTORE_POINT);
      const disk = count(ctx, "disk");
      const p = port(ctx);
      // Listening for SIGTERM before the URL is out: whoever reads it may stop us at once.
      const stopRequested = waitForStop(ctx.signal);
      const host = str(ctx, "listen");
      const overlay = str(ctx, "overlay");
      const name = str(ctx, "name");
      const service = await import("../services/instant-recovery-service.js");
      const running = await service.startInstantRecovery({
        ...repoOf(ctx),
        restorePoint,
        ...(disk !== undefined ? { disk } : {}),
        ...(p !== undefined ? { port: p } : {}),
        ...(host !== undefined ? { host } : {}),
        allowRemote: ctx.values["allow-remote"] === true,
        ...(overlay !== undefined ? { overlay } : {}),
        ...(name !== undefined ? { exportName: name } : {}),
        log: (line) => process.stderr.write(`${line}\n`),
      });
      const status = running.status();
      if (ctx.out.json) ctx.out.object(status);
      else ctx.out.line(status.url);
      for (const line of usageHints(status)) process.stderr.write(`${line}\n`);
      await stopRequested;
      await running.stop();
      const end = running.status();
      process.stderr.write(`stopped; the overlay ${end.overlay} holds ${end.overlayBytes} bytes of writes\n`);
    },
  },

  finalize: {
    summary: "make an instant recovery permanent: restore point + overlay to a disk file",
    usage:
      "finalize --repo DIR RESTORE_POINT [--disk N] --overlay FILE --target PATH [--format raw|vmdk|vmdk-stream|vmdk-flat|qcow2|vhdx] [--overwrite] [--json]",
    options: {
      ...common,
      disk: { type: "string" },
      overlay: { type: "string" },
      target: { type: "string" },
      format: { type: "string" },
      overwrite: { type: "boolean" },
    },
    async run(ctx) {
      const restorePoint = positional(ctx, 0, RESTORE_POINT);
      const overlay = str(ctx, "overlay");
      if (!overlay)
        throw new UsageError("--overlay is required", "Give the overlay file `snapferry serve` used.");
      const target = str(ctx, "target");
      if (!target) throw new UsageError("--target is required", "Give the file to write the disk to.");
      const disk = count(ctx, "disk");
      const formatText = str(ctx, "format");
      const format = formatText
        ? (await import("../services/image-service.js")).parseWriteFormat(formatText)
        : undefined;
      const result = await (
        await import("../services/instant-recovery-service.js")
      ).finalizeInstantRecovery({
        ...repoOf(ctx),
        restorePoint,
        overlay,
        target,
        ...(disk !== undefined ? { disk } : {}),
        ...(format ? { format } : {}),
        overwrite: ctx.values.overwrite === true,
        onProgress: (e) => ctx.out.progress(e),
        signal: ctx.signal,
      });
      ctx.out.endProgress();
      if (ctx.out.json) ctx.out.object(result);
      ctx.out.line(`finalized ${result.target} (${result.bytes} bytes); the overlay ${overlay} was kept`);
    },
  },
};
