/**
 * The vSphere side of `snapferry backup`: SOURCE `vsphere://HOST[:PORT]/VM` logs in the way every
 * vSphere command does and backs the VM up through its snapshot; `--type` chooses the kind of
 * backup for any source.
 */
import { UsageError } from "../common/errors.js";
import type { PhaseListener } from "../engines/progress.js";
import type { RepoRef, BackupKind } from "../services/repository-service.js";
import type { RestorePoint } from "../repository/restore-point.js";
import { isVsphereUrl, parseVsphereUrl } from "../sources/vsphere/vsphere-url.js";
import { str, type CommandContext } from "./command.js";
import { connectFromCli, vsphereLoginOptions } from "./vsphere-login.js";

export const vsphereBackupOptions = {
  ...vsphereLoginOptions,
  type: { type: "string" },
  "enable-cbt": { type: "boolean" },
  "allow-crash-consistent": { type: "boolean" },
} as const;

const KINDS: readonly BackupKind[] = ["incremental", "differential", "full", "active-full"];

/** --type, when given. */
export function backupKindOf(ctx: CommandContext): BackupKind | undefined {
  const type = str(ctx, "type");
  if (type === undefined) return undefined;
  const kind = KINDS.find((k) => k === type);
  if (!kind) {
    throw new UsageError(
      `unknown backup type "${type}"`,
      "Use --type incremental (the default), differential, full or active-full.",
    );
  }
  return kind;
}

/** Backs up the VM when SOURCE is a vsphere:// address; undefined for any other source. */
export async function backupVsphereIfNamed(
  ctx: CommandContext,
  ref: RepoRef,
  source: string,
  onNote: (note: string) => void,
  onPhase?: PhaseListener,
): Promise<RestorePoint | undefined> {
  if (!isVsphereUrl(source)) return undefined;
  const location = parseVsphereUrl(source, "vsphere://HOST[:PORT]/VM (a VM name or inventory path)");
  const type = backupKindOf(ctx);
  return (await import("../services/vsphere-backup.js")).backupVsphereVm({
    ...ref,
    location,
    connect: () => connectFromCli(location, ctx),
    ...(type ? { type } : {}),
    enableCbt: ctx.values["enable-cbt"] === true,
    allowCrashConsistent: ctx.values["allow-crash-consistent"] === true,
    resume: ctx.values.resume === true,
    full: ctx.values.full === true,
    onProgress: (e) => ctx.out.progress(e),
    ...(onPhase ? { onPhase } : {}),
    onNote,
    signal: ctx.signal,
  });
}

/** The line that tells how consistent a VM backup is; undefined for sources without a snapshot. */
export function consistencyLine(rp: RestorePoint): string | undefined {
  if (rp.source.kind !== "vsphere") return undefined;
  return rp.consistency === "application"
    ? "consistency: application-consistent (the guest was quiesced by VMware Tools)"
    : "consistency: crash-consistent (as if the VM had lost power; VMware Tools did not quiesce the guest)";
}
