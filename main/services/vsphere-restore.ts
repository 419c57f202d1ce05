/**
 * Restore a restore point as a new VM on an ESXi host or a vCenter (the one backed up or another:
 * cross-site). Everything that can be checked is checked before anything is created: the
 * placement, the name, the datastore's free space. Then CreateVM_Task makes the VM with empty thin
 * disks, each disk's flat file is filled by a streamed /folder PUT from the restore engine, and the
 * VM is powered on if asked. When anything fails after the VM exists, it is deleted again unless
 * the caller keeps it for inspection.
 */
import { randomBytes } from "node:crypto";
import { SnapferryError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import type { ProgressListener } from "../engines/progress.js";
import { Repository } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import { checkDatastoreUploads, type DatastoreFile } from "../sources/vsphere/datastore-upload.js";
import type { MoRef } from "../sources/vsphere/moref.js";
import {
  checkVmName,
  createVm,
  destroyVm,
  powerOnVm,
  readCreatedVm,
  refuseTakenName,
} from "../sources/vsphere/new-vm.js";
import { resolvePlacement, type Placement } from "../sources/vsphere/placement.js";
import { vmRecordForRestore } from "../sources/vsphere/restore-record.js";
import { targetNetworks } from "../sources/vsphere/target-networks.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import type { VmConfigRecord } from "../sources/vsphere/vm-config-record.js";
import { buildVmCreateSpec } from "../sources/vsphere/vm-create.js";
import type { VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import type { RepoRef } from "./repository-service.js";
import { fillDisks, type RestoredDisk } from "./vsphere-restore-disks.js";

export type { RestoredDisk } from "./vsphere-restore-disks.js";

export interface VsphereRestoreRequest extends RepoRef {
  restorePoint: string;
  /** vsphere://SERVER/DATACENTER/HOST-OR-CLUSTER, parsed. */
  location: VsphereLocation;
  datastore: string;
  name: string;
  powerOn?: boolean;
  /** Keep the VM when the restore fails after creating it (for inspection); deleted otherwise. */
  keepOnFailure?: boolean;
  /** Logs in; the door decides where the password comes from. */
  connect: () => Promise<VimClient>;
  onProgress?: ProgressListener;
  onNote?: (note: string) => void;
  signal?: AbortSignal;
}

export interface VsphereRestoreResult {
  restorePoint: RestorePoint;
  server: string;
  vm: { name: string; ref: MoRef; vmPathName: string };
  datacenter: string;
  computeResource: string;
  host: string | undefined;
  datastore: string;
  disks: RestoredDisk[];
  poweredOn: boolean;
  notes: string[];
}

/** Room for the VM's small files (.vmx, .nvram, logs) beside its disks. */
const VM_FILES_BYTES = 16 * 1024 * 1024;
const UPLOAD_CHECK_FILE = ".snapferry-upload-check";

interface RestoreContext {
  request: VsphereRestoreRequest;
  client: VimClient;
  repo: Repository;
  index: ChunkIndex;
  rp: RestorePoint;
  note: (text: string) => void;
}

export async function restoreToVsphere(request: VsphereRestoreRequest): Promise<VsphereRestoreResult> {
  checkVmName(request.name);
  const repo = await Repository.open(request.repo, request.password);
  const rp = await repo.resolveRestorePoint(request.restorePoint);
  const { record, notes } = vmRecordForRestore(rp);
  if (record.disks.length === 0) {
    throw new SnapferryError(
      "not-found",
      `restore point ${rp.id.slice(0, 8)} has no disk to restore`,
      "Pick another restore point (snapferry snapshots).",
    );
  }
  const noted: string[] = [];
  const note = (text: string): void => {
    noted.push(text);
    request.onNote?.(text);
  };
  notes.forEach(note);
  // A shared lock keeps prune from deleting packs while they are read.
  const lock = await repo.lock("shared", "restore");
  try {
    const index = await repo.loadIndex();
    const client = await request.connect();
    try {
      const ctx: RestoreContext = { request, client, repo, index, rp, note };
      return { ...(await restoreWith(ctx, record)), notes: noted };
    } finally {
      await client.close();
    }
  } finally {
    await lock.release();
  }
}

async function restoreWith(
  ctx: RestoreContext,
  record: VmConfigRecord,
): Promise<Omit<VsphereRestoreResult, "notes">> {
  const { client, request, rp } = ctx;
  const placement = await resolvePlacement(client, {
    path: request.location.path,
    datastore: request.datastore,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  placement.notes.forEach(ctx.note);
  await refuseTakenName(client, placement.datacenter.vmFolder, request.name, placement.label, request.signal);
  checkRoom(placement, record, request.powerOn === true);
  const networks = await targetNetworks(
    client,
    placement.networks,
    record.nics.map((n) => n.network),
  );
  const plan = buildVmCreateSpec(record, {
    name: request.name,
    datastore: placement.datastore,
    networks,
    annotation: `Restored by Snapferry from restore point ${rp.id} (${rp.time}) of ${rp.source.vm?.name ?? rp.source.location}`,
  });
  plan.notes.forEach(ctx.note);
  await checkUploads(ctx, placement);
  const vm = await createVm(client, placement, plan.spec, request.signal);
  try {
    const created = await readCreatedVm(client, vm, request.name);
    const disks = await fillDisks(
      {
        ...ctx,
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      },
      placement.datacenter.path,
      plan.disks,
      created.disks,
    );
    if (request.powerOn) await powerOnVm(client, vm, placement.host?.ref);
    return {
      restorePoint: rp,
      server: client.server,
      vm: { name: request.name, ref: vm, vmPathName: created.vmPathName },
      datacenter: placement.datacenter.name,
      computeResource: placement.computeResource.name,
      host: placement.host?.name,
      datastore: placement.datastore.name,
      disks,
      poweredOn: request.powerOn === true,
    };
  } catch (err) {
    throw await afterFailure(ctx, vm, err);
  }
}

/** Every disk is written end to end (zeros included), so the datastore needs its full capacity. */
function checkRoom(placement: Placement, record: VmConfigRecord, powerOn: boolean): void {
  const disks = record.disks.reduce((sum, d) => sum + d.capacityBytes, 0);
  const swap = powerOn ? record.memoryMB * 1024 * 1024 : 0;
  const needed = disks + swap + VM_FILES_BYTES;
  const { datastore } = placement;
  if (datastore.freeSpace >= needed) return;
  throw new SnapferryError(
    "disk-full",
    `datastore ${datastore.name} has ${formatBytes(datastore.freeSpace)} free; the restored VM needs ` +
      `${formatBytes(needed)} (${formatBytes(disks)} of disks` +
      `${swap > 0 ? `, ${formatBytes(swap)} for the swap file of a powered-on VM` : ""}, and its own small files); nothing was created`,
    "Free space on the datastore, or choose another one with --datastore.",
  );
}

/** Detect, don't guess: one empty test upload to the datastore before anything is created. */
async function checkUploads(ctx: RestoreContext, placement: Placement): Promise<void> {
  const probe: DatastoreFile = {
    datacenterPath: placement.datacenter.path,
    datastore: placement.datastore.name,
    path: `${UPLOAD_CHECK_FILE}-${randomBytes(4).toString("hex")}`,
  };
  const leftover = await checkDatastoreUploads(ctx.client, probe, placement.datacenter.ref);
  if (leftover) ctx.note(leftover);
}

/** Deletes the half-made VM (unless asked to keep it) and says so in the error. */
async function afterFailure(ctx: RestoreContext, vm: MoRef, err: unknown): Promise<unknown> {
  const { request } = ctx;
  let fate: string;
  if (request.keepOnFailure) {
    fate = `the incomplete VM ${request.name} was kept (--keep-on-failure); delete it in the vSphere Client when done`;
  } else {
    const problem = await destroyVm(ctx.client, vm);
    fate = problem
      ? `the incomplete VM ${request.name} could not be deleted (${problem}); delete it in the vSphere Client`
      : `the incomplete VM ${request.name} was deleted again`;
  }
  if (!(err instanceof SnapferryError)) {
    const message = err instanceof Error ? err.message : String(err);
    return new SnapferryError("internal", `${message}; ${fate}`, undefined, { cause: err });
  }
  return new SnapferryError(err.code, `${err.message}; ${fate}`, err.hint, { cause: err });
}
