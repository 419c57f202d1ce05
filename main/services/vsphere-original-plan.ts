/**
 * What a restore to the original VM will do, worked out without changing anything: the VM found
 * again by its instance UUID, each restored disk matched to the VM's disk of the same device key
 * and capacity, the files that will be written and those that will be replaced, and every check
 * that can refuse the restore before the VM is touched (snapshots, templates, free space).
 */
import path from "node:path";
import { SnapferryError, UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import {
  formatDatastorePath,
  parseDatastorePath,
  type DatastorePath,
} from "../sources/vsphere/datastore-http.js";
import { datastoreFileExists } from "../sources/vsphere/datastore-files.js";
import type { XmlNode } from "../sources/vsphere/soap-xml.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import { findVmByInstanceUuid, type VmPlace } from "../sources/vsphere/vm-by-uuid.js";
import { vmConfigRecordOf, type VmConfigRecord } from "../sources/vsphere/vm-config-record.js";
import { readDiskFiles, type DiskFiles } from "../sources/vsphere/vm-disk-files.js";
import { diskDevices } from "../sources/vsphere/vm-disk-swap.js";
import { checkReadable, deviceList, readDisks, type VmDisk } from "../sources/vsphere/vm-disks.js";
import { readVmState, type VmState } from "../sources/vsphere/vm-state.js";
import {
  checkNoSnapshots,
  checkRoom,
  checkUsable,
  OriginalRestoreRefusedError,
} from "./vsphere-original-checks.js";

export { OriginalRestoreRefusedError } from "./vsphere-original-checks.js";

export interface DiskReplacement {
  /** The restore point's disk, whose data is written. */
  data: DiskRecord;
  /** The VM's disk as it is now, and its device as listed (the reconfiguration edits it). */
  disk: VmDisk;
  device: XmlNode;
  /** The files the disk uses now: kept until the new ones are attached. */
  old: DiskFiles;
  newDescriptor: DatastorePath;
  newFlat: DatastorePath;
}

export interface OriginalRestorePlan {
  server: string;
  restorePoint: RestorePoint;
  vm: VmPlace;
  /** poweredOn, poweredOff or suspended, as the server said when the plan was made. */
  powerState: string;
  disks: DiskReplacement[];
  jobId: string;
  notes: string[];
}

export interface PlanOptions {
  /** Only this disk of the restore point. */
  disk?: number;
  jobId: string;
  signal?: AbortSignal;
}

/** A job id from an earlier in-place restore is dropped, so names do not grow with each restore. */
const EARLIER_JOB = /-snapferry-[0-9a-f]+$/;

export async function planOriginalRestore(
  client: VimClient,
  rp: RestorePoint,
  options: PlanOptions,
): Promise<OriginalRestorePlan> {
  const uuid = rp.source.vm?.uuid ?? "";
  const vm = await findVmByInstanceUuid(client, uuid, options.signal);
  if (!vm) throw vmGone(client, rp, uuid);
  const state = await readVmState(client, vm.ref, options.signal);
  await checkUsable(client, state);
  checkNoSnapshots(state);
  const record = vmConfigRecordOf(rp.config, `restore point ${rp.id.slice(0, 8)}`);
  const notes: string[] = [];
  const disks: DiskReplacement[] = [];
  for (const data of selectedDisks(rp, options.disk)) {
    const recorded = recordedDisk(record, data);
    const disk = matchDisk(client, rp, data, recorded, state);
    if (recorded.file !== undefined && disk.file !== recorded.file) {
      notes.push(
        `disk ${data.index} (${disk.label}) now uses ${disk.file} (it was ${recorded.file} at the backup): that file is replaced`,
      );
    }
    disks.push(await replacementOf(client, vm, data, disk, state, options.jobId));
  }
  await checkRoom(
    client,
    state,
    disks.map((d) => ({ datastore: d.newFlat.datastore, bytes: d.disk.capacityBytes })),
    options.signal,
  );
  return {
    server: client.server,
    restorePoint: rp,
    vm,
    powerState: state.powerState,
    disks,
    jobId: options.jobId,
    notes,
  };
}

function vmGone(client: VimClient, rp: RestorePoint, uuid: string): SnapferryError {
  return new SnapferryError(
    "not-found",
    `the VM backed up in restore point ${rp.id.slice(0, 8)} (${rp.source.vm?.name ?? "?"}, instance UUID ${uuid}) ` +
      `no longer exists on ${client.server}, so there is no original to restore to; nothing was changed`,
    `Restore it as a new VM: snapferry restore --repo REPO ${rp.id.slice(0, 8)} --to vsphere://${client.server}/DATACENTER/HOST-OR-CLUSTER ` +
      `--datastore DS --name ${rp.source.vm?.name ?? "NAME"} (if the VM now lives on another server, name it with --server).`,
  );
}

function selectedDisks(rp: RestorePoint, wanted: number | undefined): DiskRecord[] {
  if (wanted === undefined) return rp.disks;
  const disk = rp.disks.find((d) => d.index === wanted);
  if (!disk) {
    throw new UsageError(
      `restore point ${rp.id.slice(0, 8)} has no disk ${wanted}`,
      `Its disks are ${rp.disks.map((d) => `${d.index} (${d.name})`).join(", ")}.`,
    );
  }
  return [disk];
}

/** What the backup recorded of a disk: the VM configuration record, or the disk's origin in older restore points. */
interface RecordedDisk {
  deviceKey: number | undefined;
  capacityBytes: number;
  file: string | undefined;
}

function recordedDisk(record: VmConfigRecord | undefined, data: DiskRecord): RecordedDisk {
  const entry = record?.disks.find((d) => d.index === data.index);
  return {
    deviceKey: entry?.deviceKey ?? data.origin?.deviceKey,
    capacityBytes: entry?.capacityBytes ?? data.size,
    file: entry?.file ?? data.origin?.file,
  };
}

/** The VM's disk with the recorded device key, of the recorded capacity. */
function matchDisk(
  client: VimClient,
  rp: RestorePoint,
  data: DiskRecord,
  recorded: RecordedDisk,
  state: VmState,
): VmDisk {
  const { deviceKey, capacityBytes } = recorded;
  const current = readDisks(deviceList(state.devices), { server: client.server });
  checkReadable(current, state.name, client.server);
  const label = `disk ${data.index} (${recorded.file ?? data.name})`;
  if (deviceKey === undefined) {
    throw new OriginalRestoreRefusedError(
      `restore point ${rp.id.slice(0, 8)} does not record which disk of the VM ${label} was`,
    );
  }
  const disk = current.find((d) => d.key === deviceKey);
  if (!disk) {
    const now = current.map((d) => `${d.label} (key ${d.key}, ${d.file})`).join(", ") || "none";
    throw new OriginalRestoreRefusedError(
      `VM ${state.name} no longer has ${label}, device key ${deviceKey}; its disks now are: ${now}`,
    );
  }
  if (disk.capacityBytes !== capacityBytes || data.size > disk.capacityBytes) {
    throw new OriginalRestoreRefusedError(
      `${disk.label} of VM ${state.name} (${disk.file}) is now ${formatBytes(disk.capacityBytes)}, ` +
        `but ${label} was ${formatBytes(capacityBytes)} when it was backed up`,
    );
  }
  if (disk.backingType !== "VirtualDiskFlatVer2BackingInfo") {
    throw new OriginalRestoreRefusedError(
      `${disk.label} of VM ${state.name} is backed by ${disk.backingType}, not a VMDK file that can be replaced`,
    );
  }
  return disk;
}

async function replacementOf(
  client: VimClient,
  vm: VmPlace,
  data: DiskRecord,
  disk: VmDisk,
  state: VmState,
  jobId: string,
): Promise<DiskReplacement> {
  const device = diskDevices(state.devices).get(disk.key);
  if (!device) throw new SnapferryError("internal", `disk ${disk.key} vanished from the device list`);
  const descriptor = parseDatastorePath(disk.file);
  const old = await readDiskFiles(
    client,
    vm.datacenter.path,
    descriptor,
    `${disk.label} of VM ${state.name}`,
  );
  const folder = path.posix.dirname(descriptor.path);
  const base = path.posix
    .basename(descriptor.path)
    .replace(/\.vmdk$/i, "")
    .replace(EARLIER_JOB, "");
  const named = (suffix: string): DatastorePath => ({
    datastore: descriptor.datastore,
    path: path.posix.join(folder, `${base}-snapferry-${jobId}${suffix}`),
  });
  const replacement = {
    data,
    disk,
    device,
    old,
    newDescriptor: named(".vmdk"),
    newFlat: named("-flat.vmdk"),
  };
  for (const file of [replacement.newDescriptor, replacement.newFlat]) {
    if (await datastoreFileExists(client, vm.datacenter, file)) {
      throw new OriginalRestoreRefusedError(
        `${formatDatastorePath(file)} already exists`,
        "Run the restore again.",
      );
    }
  }
  return replacement;
}
