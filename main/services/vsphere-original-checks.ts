/**
 * The checks that refuse a restore to the original VM before anything changes: a template or a
 * disconnected VM, snapshots (the files Snapferry replaces are the base disks below them), and a
 * datastore without room for the restored copy beside the old disk.
 */
import { SnapferryError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { retrievePaged, retrieveProperties } from "../sources/vsphere/property-collector.js";
import { isBackupSnapshotName } from "../sources/vsphere/snapshot-owner.js";
import { allSnapshots } from "../sources/vsphere/snapshot-tree.js";
import { text } from "../sources/vsphere/soap-xml.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import type { VmState } from "../sources/vsphere/vm-state.js";

/** The VM's disks or state no longer fit an in-place restore; a new VM or a file still can. */
export class OriginalRestoreRefusedError extends SnapferryError {
  constructor(message: string, hint = OTHER_WAYS) {
    super("target", `${message}; nothing was changed`, hint);
  }
}

const OTHER_WAYS =
  "Restore it as a new VM instead (--to vsphere://HOST/DATACENTER/HOST-OR-CLUSTER --datastore DS --name NAME), " +
  "or restore the disk to a file (--target FILE) and attach it by hand.";
export async function checkUsable(client: VimClient, state: VmState): Promise<void> {
  const { props } = await retrieveProperties(client, state.ref, [
    "config.template",
    "runtime.connectionState",
  ]);
  if (props.get("config.template")?.text === "true") {
    throw new OriginalRestoreRefusedError(
      `${state.name} on ${client.server} is a template`,
      "Convert it to a VM in the vSphere Client (Convert to Virtual Machine), restore, and convert it back.",
    );
  }
  const connection = props.get("runtime.connectionState")?.text ?? "unknown";
  if (connection !== "connected") {
    throw new OriginalRestoreRefusedError(
      `VM ${state.name} on ${client.server} is ${connection}, not connected`,
      "Reconnect its host (or register the VM again) in the vSphere Client, then restore again.",
    );
  }
}

/** Same reason as the backup's: the files Snapferry replaces are the base disks below any snapshot. */
export function checkNoSnapshots(state: VmState): void {
  const snapshots = allSnapshots(state.rootSnapshots);
  if (snapshots.length === 0) return;
  if (snapshots.every((s) => isBackupSnapshotName(s.name))) {
    throw new SnapferryError(
      "vsphere-busy",
      `VM ${state.name} has the backup snapshot ${snapshots.map((s) => s.name).join(", ")}, so a backup may be running; nothing was changed`,
      "Wait for that backup to finish (or delete the snapshot if none runs any more), then restore again.",
    );
  }
  throw new OriginalRestoreRefusedError(
    `VM ${state.name} has ${snapshots.length === 1 ? "a snapshot" : `${snapshots.length} snapshots`} ` +
      `(${snapshots.map((s) => `"${s.name}"`).join(", ")}). Snapferry replaces the disks' files, and while a VM ` +
      "has snapshots those are base files that the snapshots' delta disks depend on",
    "Delete or consolidate the snapshots first (Snapshot Manager > Delete All), or restore as a new VM (--to ...).",
  );
}

/** The new files sit beside the old ones until the VM uses them: each datastore needs room for a copy. */
export async function checkRoom(
  client: VimClient,
  state: VmState,
  newFiles: readonly { datastore: string; bytes: number }[],
  signal?: AbortSignal,
): Promise<void> {
  const needed = new Map<string, number>();
  for (const f of newFiles) needed.set(f.datastore, (needed.get(f.datastore) ?? 0) + f.bytes);
  if (state.datastores.length === 0) return;
  const found = await retrievePaged(
    client,
    {
      fields: {
        propSet: { fields: { type: "Datastore", all: false, pathSet: ["summary"] } },
        objectSet: state.datastores.map((obj) => ({ fields: { obj } })),
      },
    },
    signal ? { signal } : {},
  );
  for (const ds of found) {
    const summary = ds.props.get("summary");
    const name = text(summary, "name") ?? "";
    const want = needed.get(name);
    if (want === undefined) continue;
    if (text(summary, "accessible") === "false") {
      throw new OriginalRestoreRefusedError(
        `the datastore ${name} of VM ${state.name} is not accessible`,
        "Check the datastore's connection (storage network, NFS server) in the vSphere Client.",
      );
    }
    const free = Number(text(summary, "freeSpace") ?? "0");
    if (free < want) {
      throw new OriginalRestoreRefusedError(
        `the datastore ${name} has ${formatBytes(free)} free; restoring in place needs ${formatBytes(want)}, ` +
          "since each restored disk is written as a new file before the old one is removed",
        "Free space on the datastore, or restore as a new VM on another datastore (--to ... --datastore DS).",
      );
    }
  }
}
