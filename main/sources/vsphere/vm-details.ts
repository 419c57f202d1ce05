/**
 * One VM's details from its collected properties: identity, placement, state, hardware, disks,
 * network adapters and snapshot chain health. An inaccessible or orphaned VM has no `config`; its
 * details then say what is known and leave the rest undefined rather than failing the inventory.
 */
import type { MoRef } from "./moref.js";
import type { ObjectProperties } from "./property-collector.js";
import { kindOf, type InventoryIndex } from "./inventory-index.js";
import type { VmDetails, VmPlace } from "./inventory-types.js";
import { readSnapshotInfo, snapshotsWithHealth } from "./snapshot-tree.js";
import { booleanOf, numberOf } from "./vim-values.js";
import { deviceList, readDisks } from "./vm-disks.js";
import { readNics, type NetworkNamer } from "./vm-nics.js";

export function readVmDetails(
  o: ObjectProperties,
  index: InventoryIndex,
  networks: NetworkNamer,
  now: Date,
): VmDetails {
  const name = index.name(o);
  const prop = (path: string): string | undefined => index.text(o, path);
  const devices = deviceList(o.props.get("config.hardware.device"));
  const snapshotInfo = readSnapshotInfo(o.props.get("snapshot"), name, index.server);
  const { snapshots, chainHealth } = snapshotsWithHealth(name, snapshotInfo, now);
  const hostRef = index.ref(o, "runtime.host");
  const toolsRunningStatus = prop("guest.toolsRunningStatus");
  return {
    moref: o.obj,
    name,
    path: index.pathOrRef(o),
    datacenter: nameOf(index, index.ancestor(o, "Datacenter")),
    host: place(index, hostRef),
    cluster: clusterOf(index, hostRef),
    resourcePool: place(index, index.ref(o, "resourcePool")),
    template: booleanOf(o.props.get("config.template")) ?? false,
    connectionState: prop("runtime.connectionState"),
    powerState: prop("runtime.powerState"),
    instanceUuid: prop("config.instanceUuid") || undefined,
    biosUuid: prop("config.uuid") || undefined,
    guestFullName: prop("config.guestFullName") || undefined,
    guestId: prop("config.guestId") || undefined,
    toolsRunningStatus,
    toolsRunning: toolsRunningStatus === "guestToolsRunning",
    hardware: {
      numCPUs: numberOf(o.props.get("config.hardware.numCPU")),
      memoryMB: numberOf(o.props.get("config.hardware.memoryMB")),
      firmware: prop("config.firmware") || undefined,
    },
    changeTrackingEnabled: booleanOf(o.props.get("config.changeTrackingEnabled")) ?? false,
    disks: readDisks(devices, { server: index.server, datastoreName: (ref) => index.nameOf(ref) }),
    nics: readNics(devices, networks, index.server),
    datastores: index.refs(o, "datastore").map((ref) => index.nameOf(ref) ?? ref.value),
    snapshots,
    currentSnapshot: snapshotInfo.currentSnapshot?.value,
    chainHealth,
    unreadable: o.missing.map((m) => m.path),
  };
}

function nameOf(index: InventoryIndex, o: ObjectProperties | undefined): string | undefined {
  return o && index.name(o);
}

function place(index: InventoryIndex, ref: MoRef | undefined): VmPlace | undefined {
  const o = index.get(ref);
  if (!o) return undefined;
  return { moref: o.obj, name: index.name(o), path: index.pathOrRef(o) };
}

function clusterOf(index: InventoryIndex, hostRef: MoRef | undefined): VmPlace | undefined {
  const host = index.get(hostRef);
  const parent = host && index.get(index.parentOf(host));
  return parent && kindOf(parent.obj) === "cluster" ? place(index, parent.obj) : undefined;
}

/** Resolves NIC backings against the inventory's networks. */
export function networkNamer(index: InventoryIndex): NetworkNamer {
  const byKey = new Map<string, string>();
  for (const o of index.all()) {
    if (o.obj.type === "DistributedVirtualPortgroup") byKey.set(o.obj.value, index.name(o));
  }
  return {
    byMoRef: (ref) => index.nameOf(ref),
    byPortgroupKey: (key) => byKey.get(key),
  };
}
