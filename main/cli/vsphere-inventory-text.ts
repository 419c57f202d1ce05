/**
 * `snapferry vsphere inventory` as text: the hosts-and-clusters tree, indented, with each VM's
 * state, disks and snapshot chain. Chain warnings are spelled out under the VM, and a blocked
 * chain is printed in capitals, since it means backups of that VM will be refused.
 */
import { formatBytes } from "../common/size.js";
import { formatAge } from "../sources/vsphere/chain-health.js";
import type { DatacenterNode, Inventory, InventoryNode, VmDetails } from "../sources/vsphere/inventory.js";
import type { VmSnapshot } from "../sources/vsphere/snapshot-tree.js";
import type { VmDisk } from "../sources/vsphere/vm-disks.js";
import type { VmNic } from "../sources/vsphere/vm-nics.js";

const INDENT = "  ";

export function inventoryText(inventory: Inventory): string[] {
  const vms = new Map(inventory.vms.map((vm) => [vm.moref.value, vm]));
  const lines = [headline(inventory), `read at ${inventory.readAt}`];
  const walk = (node: InventoryNode, depth: number): void => {
    lines.push(...nodeLines(node, depth, vms));
    for (const child of node.children) walk(child, depth + 1);
    if (node.kind === "datacenter") lines.push(...storageLines(node, depth + 1));
  };
  for (const child of inventory.root.children) {
    lines.push("");
    walk(child, 0);
  }
  if (inventory.unreadable.length > 0) lines.push(...unreadableLines(inventory));
  return lines;
}

function headline(inventory: Inventory): string {
  const { product, counts } = inventory;
  const what = product.apiType === "VirtualCenter" ? "vCenter" : "ESXi host";
  const sizes = [
    plural(counts.datacenters, "datacenter"),
    plural(counts.clusters, "cluster"),
    plural(counts.hosts, "host"),
    plural(counts.vms, "VM"),
    plural(counts.datastores, "datastore"),
  ].join(", ");
  return `${what} ${inventory.server} (${product.fullName || "version " + product.version}, API ${product.apiVersion}): ${sizes}`;
}

function nodeLines(node: InventoryNode, depth: number, vms: ReadonlyMap<string, VmDetails>): string[] {
  const pad = INDENT.repeat(depth);
  switch (node.kind) {
    case "folder":
      return [`${pad}${node.name}/`];
    case "datacenter":
      return [`${pad}datacenter ${node.name}`];
    case "cluster":
      return [`${pad}cluster ${node.name}`];
    case "host": {
      const state = [
        node.connectionState,
        node.powerState,
        node.inMaintenanceMode ? "in maintenance mode" : "",
      ];
      return [`${pad}${node.standalone ? "standalone host" : "host"} ${node.name} (${joined(state)})`];
    }
    case "resource-pool":
    case "vapp":
      return [`${pad}${node.kind === "vapp" ? "vApp" : "resource pool"} ${node.name}`];
    case "vm": {
      const vm = vms.get(node.moref.value);
      return vm ? vmLines(vm, pad) : [`${pad}VM ${node.name}`];
    }
  }
}

function vmLines(vm: VmDetails, pad: string): string[] {
  const more = pad + INDENT;
  const { hardware } = vm;
  const state = [
    vm.template ? "template" : vm.powerState,
    vm.connectionState && vm.connectionState !== "connected" ? vm.connectionState : "",
    vm.toolsRunning ? "tools running" : "tools not running",
    vm.changeTrackingEnabled ? "CBT on" : "CBT off",
  ];
  const hw = [
    hardware.numCPUs === undefined ? "" : plural(hardware.numCPUs, "CPU"),
    hardware.memoryMB === undefined ? "" : `${hardware.memoryMB} MB`,
    hardware.firmware ?? "",
    vm.guestFullName ?? vm.guestId ?? "",
  ];
  const lines = [
    `${pad}VM ${vm.name} (${joined(state)})`,
    `${more}${vm.path} · ${joined(hw)} · instance UUID ${vm.instanceUuid ?? "unknown"}`,
    ...vm.disks.map((d) => `${more}${diskLine(d)}`),
    ...vm.nics.map((n) => `${more}${nicLine(n)}`),
    `${more}snapshots: ${vm.chainHealth.summary}`,
    ...snapshotLines(vm.snapshots, more + INDENT),
    ...vm.chainHealth.warnings.map((w) => `${more}WARNING: ${w.message}`),
  ];
  if (vm.chainHealth.blocked) lines.push(`${more}!! BACKUP BLOCKED: ${vm.chainHealth.blocked}`);
  if (vm.unreadable.length > 0) lines.push(`${more}could not read: ${vm.unreadable.join(", ")}`);
  return lines;
}

function diskLine(disk: VmDisk): string {
  const controller =
    disk.controllerType === undefined
      ? `controller ${disk.controllerKey}`
      : `${disk.controllerType} ${disk.busNumber ?? "?"}:${disk.unitNumber ?? "?"}`;
  const details = [
    formatBytes(disk.capacityBytes),
    disk.provisioning,
    controller,
    disk.excludedFromSnapshots ? `${disk.diskMode ?? "raw"}: NOT in snapshots` : "",
    disk.changeId ? `changeId ${disk.changeId}` : "",
  ];
  return `disk ${disk.key} "${disk.label}": ${disk.file} (${joined(details)})`;
}

function nicLine(nic: VmNic): string {
  const state = [nic.macAddress, nic.connected === false ? "disconnected" : ""];
  return `network adapter "${nic.label}": ${nic.adapterType} on ${nic.network ?? "an unknown network"} (${joined(state)})`;
}

function snapshotLines(snapshots: readonly VmSnapshot[], pad: string): string[] {
  return snapshots.flatMap((s) => {
    const marks = [
      `depth ${s.depth}`,
      `${formatAge(s.ageMs)} old`,
      s.quiesced ? "quiesced" : "",
      s.tooOld ? "TOO OLD" : "",
      s.current ? "current (the VM runs on it)" : "",
    ];
    return [`${pad}${s.name} (${joined(marks)})`, ...snapshotLines(s.children, pad + INDENT)];
  });
}

function storageLines(dc: DatacenterNode, depth: number): string[] {
  const pad = INDENT.repeat(depth);
  const datastores = dc.datastores.map((ds) => {
    const space =
      ds.capacityBytes === undefined || ds.freeBytes === undefined
        ? "capacity unknown"
        : `${formatBytes(ds.freeBytes)} free of ${formatBytes(ds.capacityBytes)} (${percent(ds.freeBytes, ds.capacityBytes)})`;
    const state = [ds.type ?? "", space, ds.accessible ? "" : "NOT ACCESSIBLE"];
    return `${pad}${INDENT}${ds.name} (${joined(state)})`;
  });
  const networks = dc.networks.map((n) => `${pad}${INDENT}${n.name} (${networkType(n.type)})`);
  return [`${pad}datastores:`, ...datastores, `${pad}networks:`, ...networks];
}

function unreadableLines(inventory: Inventory): string[] {
  return [
    "",
    `${plural(inventory.unreadable.length, "property", "properties")} could not be read (a missing privilege?):`,
    ...inventory.unreadable.map((u) => `${INDENT}${u.name} ${u.property}: ${u.message}`),
  ];
}

function networkType(type: string): string {
  if (type === "DistributedVirtualPortgroup") return "distributed port group";
  if (type === "OpaqueNetwork") return "opaque network";
  return "standard port group";
}

function percent(part: number, whole: number): string {
  return whole > 0 ? `${Math.round((part / whole) * 100)}%` : "-";
}

function joined(parts: readonly (string | undefined)[]): string {
  return parts.filter((p): p is string => p !== undefined && p !== "").join(", ");
}

function plural(n: number, one: string, many = `${one}s`): string {
  return `${n} ${n === 1 ? one : many}`;
}
