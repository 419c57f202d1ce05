/**
 * What is checked before a backup snapshot is taken, so that a job that cannot succeed fails
 * before it touches the VM: the host is connected, the datastores can take a delta disk, the
 * snapshot chain allows one more snapshot, the VM has no snapshots of its own, and CBT is on (or
 * switched on when the user asks). Then, on the snapshot, which of its disks a backup can read.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatBytes } from "../../common/size.js";
import { formatMoRef, parseMoRef } from "./moref.js";
import { retrieveObjects, retrieveProperties } from "./property-collector.js";
import { text } from "./soap-xml.js";
import { isBackupSnapshotName } from "./snapshot-owner.js";
import { allSnapshots, healthOf } from "./snapshot-tree.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { checkReadable, type VmDisk } from "./vm-disks.js";
import type { VmState } from "./vm-state.js";

/** The VM cannot be backed up as it is; the message says why and what to change. */
export class BackupRefusedError extends SnapferryError {
  constructor(message: string, hint: string) {
    super("source", message, hint);
  }
}

export interface CheckOptions {
  /** Switch CBT on when it is off (ReconfigVM). */
  enableCbt: boolean;
  note: (text: string) => void;
  now?: Date;
  signal?: AbortSignal;
}

const LOW_FREE_SHARE = 0.1;
const RECONFIGURE_TIMEOUT_MS = 5 * 60_000;

/** Runs every check; returns whether CBT is on for this backup. */
export async function checkBeforeSnapshot(
  client: VimClient,
  vm: VmState,
  options: CheckOptions,
): Promise<{ cbt: boolean }> {
  await checkHost(client, vm, options.signal);
  checkSnapshots(vm, options.now ?? new Date());
  await checkDatastores(client, vm, options);
  return { cbt: await checkChangeTracking(client, vm, options) };
}

async function checkHost(client: VimClient, vm: VmState, signal?: AbortSignal): Promise<void> {
  if (!vm.host) {
    throw new BackupRefusedError(
      `VM ${vm.name} on ${client.server} runs on no host`,
      "The VM may be orphaned or inaccessible; check it in the vSphere Client.",
    );
  }
  const { props } = await retrieveProperties(
    client,
    vm.host,
    ["name", "runtime.connectionState"],
    signal ? { signal } : {},
  );
  const state = props.get("runtime.connectionState")?.text ?? "unknown";
  if (state !== "connected") {
    const host = props.get("name")?.text ?? formatMoRef(vm.host);
    throw new BackupRefusedError(
      `the host ${host} of VM ${vm.name} is ${state}, not connected to ${client.server}: no snapshot can be taken`,
      "Reconnect the host in the vSphere Client (or wait for it to come back), then back up again.",
    );
  }
}

function checkSnapshots(vm: VmState, now: Date): void {
  const health = healthOf(vm.name, vm, now);
  if (health.blocked) {
    throw new BackupRefusedError(
      health.blocked,
      "Delete All in Snapshot Manager merges every snapshot into the disks and keeps the VM's current state.",
    );
  }
  const snapshots = allSnapshots(vm.rootSnapshots);
  if (snapshots.length === 0) return;
  const ours = snapshots.filter((s) => isBackupSnapshotName(s.name));
  if (ours.length === snapshots.length) {
    throw new SnapferryError(
      "vsphere-busy",
      `VM ${vm.name} has the backup snapshot ${ours.map((s) => s.name).join(", ")} of another Snapferry job, ` +
        "which may still be running",
      "Wait for that backup to finish; if no backup of this VM is running any more, delete the snapshot in the " +
        "vSphere Client (or wait a day: Snapferry then removes it by itself).",
    );
  }
  const names = snapshots.map((s) => `"${s.name}"`).join(", ");
  throw new BackupRefusedError(
    `VM ${vm.name} has ${snapshots.length === 1 ? "a snapshot" : `${snapshots.length} snapshots`} of its own ` +
      `(${names}). Snapferry reads the disks' base files through the datastore, and while a VM has snapshots ` +
      "those files hold the oldest snapshot's state, not the VM's current one, so the backup would silently " +
      "miss every change made since",
    "Delete or consolidate the snapshots (Snapshot Manager > Delete All keeps the VM's current state), then back up again.",
  );
}

async function checkDatastores(client: VimClient, vm: VmState, options: CheckOptions): Promise<void> {
  const found = await retrieveObjects(client, vm.datastores, "Datastore", ["summary"], {
    signal: options.signal,
  });
  for (const ds of found) {
    const summary = ds.props.get("summary");
    const name = text(summary, "name") ?? formatMoRef(ds.obj);
    if (text(summary, "accessible") === "false") {
      throw new BackupRefusedError(
        `the datastore ${name} of VM ${vm.name} is not accessible: no snapshot can be taken`,
        "Check the datastore's connection (storage network, NFS server) in the vSphere Client.",
      );
    }
    const capacity = Number(text(summary, "capacity") ?? "0");
    const free = Number(text(summary, "freeSpace") ?? "0");
    if (capacity > 0 && free / capacity < LOW_FREE_SHARE) {
      options.note(
        `the datastore ${name} has only ${formatBytes(free)} free of ${formatBytes(capacity)} (under 10%): ` +
          "the snapshot's delta disk grows with every write the VM makes during the backup, and a full " +
          "datastore stops the VM",
      );
    }
  }
}

async function checkChangeTracking(client: VimClient, vm: VmState, options: CheckOptions): Promise<boolean> {
  if (vm.changeTrackingEnabled) return true;
  if (!options.enableCbt) {
    options.note(
      `changed block tracking (CBT) is off for VM ${vm.name}: every backup reads the whole disk and stores ` +
        "only what changed (hash comparison). Run once with --enable-cbt to switch CBT on",
    );
    return false;
  }
  const answer = await client.invoke(
    "ReconfigVM_Task",
    { _this: vm.ref, spec: { fields: { changeTrackingEnabled: true } } },
    options.signal ? { signal: options.signal } : {},
  );
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  await waitForTask(client, task, {
    timeoutMs: RECONFIGURE_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  options.note(
    `switched changed block tracking (CBT) on for VM ${vm.name}: this backup reads the whole disk ` +
      "(its allocated areas), later ones read only what changed",
  );
  return true;
}

/**
 * The snapshot's disks a backup reads: VMDKs on a datastore that the snapshot covers. Independent
 * disks are left out with a note; any other backing refuses the backup, since leaving a disk out
 * silently would make a restore point that looks whole and is not.
 */
export function disksToBackUp(
  all: readonly VmDisk[],
  vm: string,
  server: string,
  note: (text: string) => void,
): VmDisk[] {
  checkReadable(all, vm, server);
  const unsupported = all.find((d) => d.backingType !== "VirtualDiskFlatVer2BackingInfo");
  if (unsupported) {
    throw new SnapferryError(
      "source",
      `disk ${unsupported.key} of VM ${vm} is backed by ${unsupported.backingType === "unknown" ? "nothing" : unsupported.backingType}, which Snapferry cannot back up yet`,
      "Snapferry backs up VMDK disks on datastores; raw device mappings in physical mode and other backings are not supported.",
    );
  }
  for (const disk of all.filter((d) => d.excludedFromSnapshots)) {
    note(
      `${disk.label} of VM ${vm} is independent (${disk.diskMode ?? "unknown mode"}): snapshots leave it out, so it is not backed up`,
    );
  }
  const disks = all.filter((d) => !d.excludedFromSnapshots);
  if (disks.length === 0) {
    throw new BackupRefusedError(
      `VM ${vm} has no disk that a snapshot includes: there is nothing to back up`,
      "Independent disks are left out of snapshots; change a disk's mode to dependent to back it up.",
    );
  }
  return disks;
}
