/**
 * Builds the VM configuration record a vSphere backup stores (vsphere-vm.json) from the VM's state
 * and the disks the backup reads, resolving distributed port groups to their names so that a
 * restore can find the same network on another host.
 */
import type { MoRef } from "./moref.js";
import { retrieveObjects } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";
import type { VmConfigRecord, VmDiskRecord } from "./vm-config-record.js";
import { deviceList, type VmDisk } from "./vm-disks.js";
import { readNics, type NetworkNamer } from "./vm-nics.js";
import type { VmState } from "./vm-state.js";

export async function buildVmConfigRecord(
  client: VimClient,
  vm: VmState,
  disks: readonly VmDisk[],
  note: (text: string) => void,
): Promise<VmConfigRecord> {
  const networks = await portgroupNamer(client, vm.networks);
  const nics = readNics(deviceList(vm.devices), networks, client.server).map((nic) => ({
    network: nic.network ?? "",
    adapterType: nic.adapterType,
  }));
  return {
    version: 1,
    name: vm.name,
    instanceUuid: vm.instanceUuid,
    guestId: vm.guestId,
    numCPUs: vm.numCPUs,
    memoryMB: vm.memoryMB,
    firmware: vm.firmware,
    disks: disks.map((disk, index) => diskRecord(disk, index, vm.name, note)),
    nics,
  };
}

function diskRecord(disk: VmDisk, index: number, vm: string, note: (text: string) => void): VmDiskRecord {
  if (disk.controllerType === undefined) {
    const controller = disk.controllerXsiType ?? `device ${disk.controllerKey}`;
    note(
      `${disk.label} of VM ${vm} sits on a ${controller} controller, which Snapferry does not know; ` +
        "its configuration records an LSI Logic controller, which a restore will create instead",
    );
  }
  return {
    index,
    deviceKey: disk.key,
    capacityBytes: disk.capacityBytes,
    controllerKey: disk.controllerKey,
    controllerType: disk.controllerType ?? "lsilogic",
    busNumber: disk.busNumber ?? 0,
    unitNumber: disk.unitNumber ?? 0,
    thin: disk.thin,
    file: disk.file,
  };
}

/**
 * Names the VM's distributed port groups by their real key (one collector call, none without any);
 * standard networks need no lookup, since their backing carries the name.
 */
async function portgroupNamer(client: VimClient, networks: readonly MoRef[]): Promise<NetworkNamer> {
  const refs = networks.filter((n) => n.type === "DistributedVirtualPortgroup");
  const found = await retrieveObjects(client, refs, "DistributedVirtualPortgroup", ["name", "key"]);
  const byRef = new Map<string, string>();
  const byKey = new Map<string, string>();
  for (const o of found) {
    const name = o.props.get("name")?.text ?? o.obj.value;
    byRef.set(o.obj.value, name);
    byKey.set(o.props.get("key")?.text ?? o.obj.value, name);
  }
  return {
    byMoRef: (ref) => (ref.type === "DistributedVirtualPortgroup" ? byRef.get(ref.value) : undefined),
    byPortgroupKey: (key) => byKey.get(key),
  };
}
