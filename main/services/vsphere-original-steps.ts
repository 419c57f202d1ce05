/**
 * Replacing a VM's disks in place, in the one order that keeps the old data safe until the new data
 * is in use: power off; write each restored disk as NEW files beside the old ones (a flat file
 * streamed from the repository, then its descriptor); one reconfiguration that points the disks at
 * the new descriptors; power on again; only then delete the old files. Whatever fails before the
 * VM uses the new files deletes them again and leaves the VM as it was. A snapshot would not do as
 * the safety copy: /folder uploads replace whole files, and overwriting a base disk under a
 * snapshot breaks the chain that a revert would need.
 */
import { CancelledError, SnapferryError } from "../common/errors.js";
import type { ProgressListener } from "../engines/progress.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import type { Repository } from "../repository/repository.js";
import { formatDatastorePath, type DatastorePath } from "../sources/vsphere/datastore-http.js";
import {
  deleteDiskFiles,
  inDatacenter,
  putSmallFile,
  type DeleteOutcome,
} from "../sources/vsphere/datastore-files.js";
import { flatDiskDescriptor } from "../sources/vsphere/flat-descriptor.js";
import { retryWhileUnreachable } from "../sources/vsphere/retry-unreachable.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import { filesOf } from "../sources/vsphere/vm-disk-files.js";
import { attachedDiskFiles, swapDiskFiles } from "../sources/vsphere/vm-disk-swap.js";
import { powerOffVm, powerOnVm } from "../sources/vsphere/vm-power.js";
import type { DiskReplacement, OriginalRestorePlan } from "./vsphere-original-plan.js";
import { uploadDisk } from "./vsphere-restore-disks.js";
import { explainSwapFailure, withFate } from "./vsphere-original-failure.js";

export interface StepContext {
  client: VimClient;
  repo: Repository;
  index: ChunkIndex;
  plan: OriginalRestorePlan;
  keepOld: boolean;
  note: (text: string) => void;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export interface ReplacedDisk {
  index: number;
  label: string;
  /** The descriptor the VM's disk now uses. */
  descriptor: string;
  flatFile: string;
  bytes: number;
  /** The descriptor it used before. */
  replaced: string;
}

export interface ReplaceOutcome {
  disks: ReplacedDisk[];
  poweredOn: boolean;
  /** Why the VM could not be powered on again, when it was on before and that failed. */
  powerOnError: string | undefined;
  oldFiles: { deleted: string[]; kept: string[] };
}

export async function replaceDisks(ctx: StepContext): Promise<ReplaceOutcome> {
  const { plan, client } = ctx;
  const wasOn = plan.powerState === "poweredOn";
  if (plan.powerState !== "poweredOff") {
    if (ctx.signal?.aborted) throw new CancelledError("the restore", "Nothing was changed.");
    await powerOffVm(client, plan.vm.ref).catch((err: unknown) => {
      throw withFate(err, `VM ${plan.vm.name} could not be powered off, so nothing was changed`);
    });
    ctx.note(
      plan.powerState === "suspended"
        ? `powered VM ${plan.vm.name} off, discarding its suspended state`
        : `powered VM ${plan.vm.name} off`,
    );
  }
  const written: DatastorePath[] = [];
  try {
    for (const disk of plan.disks) await writeNewDisk(ctx, disk, written);
  } catch (err) {
    throw await undoUnchanged(ctx, written, wasOn, err);
  }
  const attached = await swapOrUndo(ctx, written, wasOn);
  const power = wasOn ? await powerBackOn(ctx) : { poweredOn: false, powerOnError: undefined };
  return {
    disks: plan.disks.map((d) => ({
      index: d.data.index,
      label: d.disk.label,
      descriptor: formatDatastorePath(d.newDescriptor),
      flatFile: formatDatastorePath(d.newFlat),
      bytes: d.disk.capacityBytes,
      replaced: d.disk.file,
    })),
    ...power,
    oldFiles: await dropOldFiles(ctx, attached),
  };
}

/** The flat file first and the descriptor last, so a descriptor only ever names complete data. */
async function writeNewDisk(ctx: StepContext, d: DiskReplacement, written: DatastorePath[]): Promise<void> {
  const { client, plan, signal } = ctx;
  const file = inDatacenter(plan.vm.datacenter, d.newFlat);
  const size = d.disk.capacityBytes;
  const label = `disk ${d.data.index} (${d.data.name})`;
  written.push(d.newFlat);
  await uploadDisk(
    {
      client,
      repo: ctx.repo,
      index: ctx.index,
      rp: plan.restorePoint,
      ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
      ...(signal ? { signal } : {}),
    },
    file,
    size,
    d.data,
    label,
  );
  written.push(d.newDescriptor);
  const descriptor = flatDiskDescriptor({
    flatFileName: d.newFlat.path.split("/").at(-1) ?? d.newFlat.path,
    capacityBytes: size,
    controllerType: d.disk.controllerType,
    thin: d.disk.thin,
    ...(d.old.parsed ? { previous: d.old.parsed } : {}),
    ...(d.disk.uuid ? { backingUuid: d.disk.uuid } : {}),
  });
  await putSmallFile(client, plan.vm.datacenter, d.newDescriptor, Buffer.from(descriptor, "utf8"));
}

/** Before the VM uses any new file: delete them again and power the VM back on. */
async function undoUnchanged(
  ctx: StepContext,
  written: readonly DatastorePath[],
  wasOn: boolean,
  err: unknown,
): Promise<unknown> {
  const { client, plan } = ctx;
  const removal = await deleteWritten(ctx, written);
  const files =
    removal.failed.length === 0
      ? written.length > 0
        ? "the new files were deleted"
        : "no new file had been written"
      : `the new files ${removal.failed.map((f) => `${f.file} (${f.reason})`).join(", ")} could not be deleted: delete them with the datastore browser`;
  let power = "";
  if (wasOn) {
    try {
      await retryWhileUnreachable(() => powerOnVm(client, plan.vm.ref));
      power = ", and it was powered on again";
    } catch (powerErr) {
      power = `; it could NOT be powered on again (${messageOf(powerErr)}): power it on in the vSphere Client`;
    }
  } else if (plan.powerState === "suspended") {
    power = "; it was suspended and is now powered off (its suspended state was discarded)";
  }
  return withFate(err, `VM ${plan.vm.name} is unchanged, still on its old disks: ${files}${power}`);
}

/** Points the disks at the new files and checks that they use them; returns what each disk uses. */
async function swapOrUndo(
  ctx: StepContext,
  written: readonly DatastorePath[],
  wasOn: boolean,
): Promise<Map<number, string>> {
  const { client, plan } = ctx;
  let failure: unknown;
  try {
    await swapDiskFiles(
      client,
      plan.vm.ref,
      plan.disks.map((d) => ({ device: d.device, newFile: formatDatastorePath(d.newDescriptor) })),
    );
  } catch (err) {
    failure = err;
  }
  const attached = await retryWhileUnreachable(() => attachedDiskFiles(client, plan.vm.ref)).catch(
    () => undefined,
  );
  const uses = (d: DiskReplacement, file: DatastorePath): boolean =>
    attached?.get(d.disk.key) === formatDatastorePath(file);
  if (attached && plan.disks.every((d) => uses(d, d.newDescriptor))) {
    if (failure !== undefined) {
      ctx.note(
        `the reconfiguration of VM ${plan.vm.name} reported ${messageOf(failure)}, yet every disk uses its restored file`,
      );
    }
    return attached;
  }
  if (attached && plan.disks.every((d) => attached.get(d.disk.key) === d.disk.file)) {
    throw await undoUnchanged(
      ctx,
      written,
      wasOn,
      failure ??
        new SnapferryError(
          "vsphere-protocol",
          `${client.server} accepted the reconfiguration of VM ${plan.vm.name}, but its disks still use their old files`,
          "The server may not allow a disk's file to be changed this way; restore as a new VM (--to ...) instead.",
        ),
    );
  }
  throw explainSwapFailure(plan, attached, failure);
}

async function powerBackOn(
  ctx: StepContext,
): Promise<{ poweredOn: boolean; powerOnError: string | undefined }> {
  try {
    await retryWhileUnreachable(() => powerOnVm(ctx.client, ctx.plan.vm.ref));
    ctx.note(`powered VM ${ctx.plan.vm.name} on again`);
    return { poweredOn: true, powerOnError: undefined };
  } catch (err) {
    const reason = messageOf(err);
    ctx.note(`WARNING: VM ${ctx.plan.vm.name} was restored but could not be powered on again: ${reason}`);
    return { poweredOn: false, powerOnError: reason };
  }
}

/** The old files, once no disk of the VM uses them any more: deleted, or kept with --keep-old. */
async function dropOldFiles(
  ctx: StepContext,
  attached: ReadonlyMap<number, string>,
): Promise<{ deleted: string[]; kept: string[] }> {
  const inUse = new Set(attached.values());
  const replaced = ctx.plan.disks.filter((d) => !inUse.has(d.disk.file));
  if (ctx.keepOld) {
    const names = replaced.flatMap((d) => filesOf(d.old)).map(formatDatastorePath);
    ctx.note(
      `kept the old disk files (--keep-old): ${names.join(", ")}; delete them with the datastore browser once the VM is checked`,
    );
    return { deleted: [], kept: names };
  }
  const removal = await deleteDisks(
    ctx,
    replaced.map((d) => ({ descriptor: d.old.descriptor, files: filesOf(d.old) })),
  );
  for (const f of removal.failed) {
    ctx.note(
      `WARNING: the old disk file ${f.file} could not be deleted (${f.reason}); delete it with the datastore browser`,
    );
  }
  return { deleted: removal.deleted, kept: removal.failed.map((f) => f.file) };
}

/** The new files written so far, each disk's descriptor first so none is left naming a deleted file. */
function deleteWritten(ctx: StepContext, written: readonly DatastorePath[]): Promise<DeleteOutcome> {
  return deleteDisks(
    ctx,
    ctx.plan.disks
      .map((d) => ({
        descriptor: d.newDescriptor,
        files: [d.newDescriptor, d.newFlat].filter((f) => written.includes(f)),
      }))
      .filter((d) => d.files.length > 0),
  );
}

async function deleteDisks(
  ctx: StepContext,
  disks: readonly { descriptor: DatastorePath; files: DatastorePath[] }[],
): Promise<DeleteOutcome> {
  const removal: DeleteOutcome = { deleted: [], failed: [] };
  for (const d of disks) {
    const outcome = await deleteDiskFiles(ctx.client, ctx.plan.vm.datacenter, d.descriptor, d.files);
    removal.deleted.push(...outcome.deleted);
    removal.failed.push(...outcome.failed);
  }
  return removal;
}

function messageOf(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
