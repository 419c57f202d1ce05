/**
 * `snapferry restore ... --to-original`: puts a vSphere restore point's disks back into the VM they
 * were backed up from. It powers the VM off and replaces its disks, so it shows exactly what would
 * be overwritten and goes ahead only with --yes (or, on a terminal, once the VM's name is typed).
 */
import { createInterface } from "node:readline/promises";
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { DatastorePath } from "../sources/vsphere/datastore-http.js";
import type { DiskFiles } from "../sources/vsphere/vm-disk-files.js";
import { parseVsphereUrl, type VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import type { RepoRef } from "../services/repository-service.js";
import type { OriginalRestorePlan, OriginalRestoreResult } from "../services/vsphere-restore-original.js";
import { count, str, type CommandContext } from "./command.js";
import { connectFromCli, vsphereLoginOptions } from "./vsphere-login.js";

export const originalRestoreOptions = {
  ...vsphereLoginOptions,
  "to-original": { type: "boolean" },
  server: { type: "string" },
  yes: { type: "boolean" },
  "keep-old": { type: "boolean" },
} as const;

export const ORIGINAL_RESTORE_USAGE =
  "restore --repo DIR RESTORE_POINT --to-original [--server HOST[:PORT]] --user USER [--accept-thumbprint SHA256] [--yes] [--disk N] [--keep-old] [--json]";

const ONLY_WITH_ORIGINAL = ["server", "yes", "keep-old"];
const NOT_WITH_ORIGINAL = [
  "to",
  "target",
  "datastore",
  "name",
  "power-on",
  "keep-on-failure",
  "format",
  "vm-folder",
  "overwrite",
];

/** Restores into the original VM when --to-original is given; false otherwise. */
export async function restoreToOriginalIfAsked(
  ctx: CommandContext,
  ref: RepoRef,
  restorePoint: string,
): Promise<boolean> {
  if (ctx.values["to-original"] !== true) {
    const stray = ONLY_WITH_ORIGINAL.find((o) => ctx.values[o] !== undefined);
    if (stray)
      throw new UsageError(`--${stray} needs --to-original`, `usage: snapferry ${ORIGINAL_RESTORE_USAGE}`);
    return false;
  }
  const clash = NOT_WITH_ORIGINAL.find((o) => ctx.values[o] !== undefined);
  if (clash) {
    throw new UsageError(
      `--${clash} cannot be used with --to-original`,
      "--to-original puts the disks back into the VM they came from; --to makes a new VM, --target writes a file.",
    );
  }
  const server = serverOption(ctx);
  const disk = count(ctx, "disk");
  // Loaded only when used: the CLI starts faster and smaller for every other command.
  const { restoreToOriginalVm } = await import("../services/vsphere-restore-original.js");
  const paths = await datastorePaths();
  const result = await restoreToOriginalVm({
    ...ref,
    restorePoint,
    ...(server ? { server } : {}),
    ...(disk !== undefined ? { disk } : {}),
    keepOld: ctx.values["keep-old"] === true,
    connect: (location) => connectFromCli(location, ctx),
    confirm: (plan) => confirm(ctx, plan, paths),
    onProgress: (e) => ctx.out.progress(e),
    onNote: (note) => (ctx.out.json ? ctx.out.object({ note }) : process.stderr.write(`note: ${note}\n`)),
    signal: ctx.signal,
  });
  ctx.out.endProgress();
  printResult(ctx, result, paths);
  // The disks are restored, but a VM that was running is not: scripts must notice.
  if (result.powerOnError !== undefined) process.exitCode = 1;
  return true;
}

function serverOption(ctx: CommandContext): VsphereLocation | undefined {
  const server = str(ctx, "server");
  if (server === undefined) return undefined;
  const what = "--server HOST or HOST:PORT (the ESXi host or vCenter the VM is on now)";
  const location = parseVsphereUrl(`vsphere://${server}`, what);
  if (location.path.length > 0 || server.includes("/")) {
    throw new UsageError(`--server takes a host and port, not a path: "${server}"`, `Give ${what}.`);
  }
  return location;
}

async function confirm(
  ctx: CommandContext,
  plan: OriginalRestorePlan,
  paths: DatastorePaths,
): Promise<boolean> {
  if (ctx.values.yes === true) return true;
  if (ctx.out.json) {
    ctx.out.object({ plan: planJson(plan, paths) });
    return false;
  }
  for (const line of planText(plan, paths)) ctx.out.line(line);
  if (!process.stdin.isTTY || !process.stderr.isTTY) return false;
  const prompt = createInterface({ input: process.stdin, output: process.stderr });
  try {
    const answer = await prompt.question(
      `Type the VM's name (${plan.vm.name}) to go ahead, anything else to stop: `,
    );
    return answer.trim() === plan.vm.name;
  } finally {
    prompt.close();
  }
}

/** The datastore path helpers; they load the VMDK parser, so only --to-original loads them. */
interface DatastorePaths {
  formatDatastorePath: (p: DatastorePath) => string;
  filesOf: (disk: DiskFiles) => DatastorePath[];
}

async function datastorePaths(): Promise<DatastorePaths> {
  const [{ formatDatastorePath }, { filesOf }] = await Promise.all([
    import("../sources/vsphere/datastore-http.js"),
    import("../sources/vsphere/vm-disk-files.js"),
  ]);
  return { formatDatastorePath, filesOf };
}

export function planText(
  plan: OriginalRestorePlan,
  { formatDatastorePath, filesOf }: DatastorePaths,
): string[] {
  const rp = plan.restorePoint;
  const power =
    plan.powerState === "poweredOn"
      ? "the VM will be powered off (a hard power-off: its disks are replaced anyway) and powered on again afterwards"
      : plan.powerState === "suspended"
        ? "the VM is suspended: it will be powered off, its suspended state discarded, and it stays off"
        : "the VM is powered off and stays off";
  return [
    `restore point ${rp.id.slice(0, 8)} (${rp.time}, ${rp.type}) would be written back into the VM it was made from:`,
    `  VM ${plan.vm.name} on ${plan.server}, inventory path ${plan.vm.inventoryPath.join("/")}`,
    `  ${power}`,
    ...plan.disks.map(
      (d) =>
        `  disk ${d.data.index} (${d.disk.label}) ${d.disk.file}, ${formatBytes(d.disk.capacityBytes)}, ` +
        `will be overwritten with the backed-up data (written first to ${formatDatastorePath(d.newDescriptor)})`,
    ),
    `  the replaced files (${plan.disks
      .flatMap((d) => filesOf(d.old))
      .map(formatDatastorePath)
      .join(", ")}) ` + "are deleted once the VM uses the restored ones, unless --keep-old is given",
  ];
}

function planJson(
  plan: OriginalRestorePlan,
  { formatDatastorePath }: DatastorePaths,
): Record<string, unknown> {
  return {
    restorePoint: plan.restorePoint.id,
    server: plan.server,
    vm: { name: plan.vm.name, moref: plan.vm.ref.value, inventoryPath: plan.vm.inventoryPath.join("/") },
    powerState: plan.powerState,
    disks: plan.disks.map((d) => ({
      index: d.data.index,
      label: d.disk.label,
      file: d.disk.file,
      bytes: d.disk.capacityBytes,
      newFile: formatDatastorePath(d.newDescriptor),
    })),
  };
}

function printResult(ctx: CommandContext, result: OriginalRestoreResult, paths: DatastorePaths): void {
  const { plan } = result;
  if (ctx.out.json) {
    ctx.out.object({
      ...planJson(plan, paths),
      disks: result.disks,
      poweredOn: result.poweredOn,
      powerOnError: result.powerOnError ?? null,
      oldFiles: result.oldFiles,
      notes: result.notes,
    });
    return;
  }
  for (const d of result.disks) {
    ctx.out.line(`restored disk ${d.index} (${d.label}) to ${d.descriptor}, replacing ${d.replaced}`);
  }
  const power = result.poweredOn
    ? ", powered on again"
    : result.powerOnError !== undefined
      ? ", but it is powered OFF: it could not be powered on again (see the warning above)"
      : "";
  const count = result.disks.length === 1 ? "1 disk" : `${result.disks.length} disks`;
  ctx.out.line(
    `restored VM ${plan.vm.name} (${plan.vm.inventoryPath.join("/")}) on ${plan.server} in place from restore point ` +
      `${plan.restorePoint.id.slice(0, 8)}: ${count}${power}`,
  );
}
