/**
 * Builds the VM configuration record a vSphere backup stores (vsphere-vm.json) from the VM's state
 * and the disks the backup reads, resolving distributed port groups to their names so that a
 * restore can find the same network on another host.
 */
import { retrievePaged } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";
import type { VmConfigRecord, VmDiskRecord } from "./vm-config-record.js";
import { parseNics, type VmDisk } from "./vm-hardware.js";
import type { VmState } from "./vm-state.js";

export async function buildVmConfigRecord(
  client: VimClient,
  vm: VmState,
  disks: readonly VmDisk[],
  note: (text: string) => void,
): Promise<VmConfigRecord> {
  const portgroups = await portgroupNames(client, vm);
  const nics = parseNics(vm.devices).map((nic) => ({
    network:
      nic.network ?? (nic.portgroupKey !== undefined ? portgroups.get(nic.portgroupKey) : undefined) ?? "",
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
    note(
      `${disk.label} of VM ${vm} sits on a ${disk.controllerXsiType} controller, which Snapferry does not know; ` +
        "its configuration records an LSI Logic controller, which a restore will create instead",
    );
  }
  return {
    index,
    deviceKey: disk.deviceKey,
    capacityBytes: disk.capacityBytes,
    controllerKey: disk.controllerKey,
    controllerType: disk.controllerType ?? "lsilogic",
    busNumber: disk.busNumber,
    unitNumber: disk.unitNumber,
    thin: disk.thin,
    file: disk.file,
  };
}

/** Distributed port group key to name, for the VM's networks (one collector call, none without any). */
async function portgroupNames(client: VimClient, vm: VmState): Promise<Map<string, string>> {
  const refs = vm.networks.filter((n) => n.type === "DistributedVirtualPortgroup");
  if (refs.length === 0) return new Map();
  const found = await retrievePaged(
    client,
    {
      fields: {
        propSet: { fields: { type: "DistributedVirtualPortgroup", all: false, pathSet: ["name", "key"] } },
        objectSet: refs.map((obj) => ({ fields: { obj } })),
      },
    },
    {},
  );
  return new Map(
    found.map((o) => [o.props.get("key")?.text ?? o.obj.value, o.props.get("name")?.text ?? o.obj.value]),
  );
}
