/**
 * One shape for every VM the inventory shows, whichever source it came from, so the tree, the
 * details pane and the backup dialog need not know vSphere from a local folder.
 */
import type { CatalogSource } from "../../../main/catalog/catalog-api";
import type { VmSnapshot } from "../../../main/sources/vsphere/snapshot-tree";
import type { VmDetails } from "../../../main/sources/vsphere/inventory-types";
import type { LocalInventory, SourceInventory, Wire } from "../../../preload/contract";
import { chainFromHealth, chainFromLayers, type ChainView } from "./chain";

export interface VmDiskItem {
  label: string;
  capacityBytes: number;
  /** Where it lives and how: "[ds1] web/web.vmdk, thin", or the chain length of a local disk. */
  detail: string;
}

export interface VmItem {
  /** Unique across sources. */
  key: string;
  sourceId: string;
  sourceKind: CatalogSource["kind"];
  name: string;
  /** What jobs.backup takes as `vm`: the vSphere inventory path; undefined for local sources. */
  backupPath: string | undefined;
  powerState: string | undefined;
  /** undefined where the source cannot say (local folders). */
  toolsRunning: boolean | undefined;
  cbt: boolean | undefined;
  chain: ChainView;
  disks: VmDiskItem[];
  snapshots: Wire<VmSnapshot>[];
  guest: string | undefined;
  /** UUIDs a restore point may name this VM by. */
  uuids: string[];
  template: boolean;
}

export function vmKey(sourceId: string, id: string): string {
  return `${sourceId}|${id}`;
}

export function vsphereVmItem(source: CatalogSource, vm: Wire<VmDetails>): VmItem {
  return {
    key: vmKey(source.id, vm.path),
    sourceId: source.id,
    sourceKind: source.kind,
    name: vm.name,
    backupPath: vm.path,
    powerState: vm.powerState,
    toolsRunning: vm.toolsRunning,
    cbt: vm.changeTrackingEnabled,
    chain: chainFromHealth(vm.chainHealth),
    disks: vm.disks.map((d) => ({
      label: d.label,
      capacityBytes: d.capacityBytes,
      detail: [d.file, d.provisioning, d.excludedFromSnapshots ? "not in snapshots" : ""]
        .filter(Boolean)
        .join(", "),
    })),
    snapshots: vm.snapshots,
    guest: vm.guestFullName,
    uuids: [vm.biosUuid, vm.instanceUuid].filter((u): u is string => typeof u === "string"),
    template: vm.template,
  };
}

export function localVmItems(source: CatalogSource, inventory: LocalInventory): VmItem[] {
  return inventory.vms.map((vm) => {
    const layers = Math.max(1, ...vm.disks.map((d) => d.chainDepth));
    return {
      key: vmKey(source.id, vm.uuid ?? vm.name),
      sourceId: source.id,
      sourceKind: source.kind,
      name: vm.name,
      backupPath: undefined,
      powerState: undefined,
      toolsRunning: undefined,
      cbt: undefined,
      chain: chainFromLayers(layers),
      disks: vm.disks.map((d) => ({
        label: d.name,
        capacityBytes: d.size,
        detail: d.chainDepth > 1 ? `${d.chainDepth - 1} snapshot layers` : "no snapshots",
      })),
      snapshots: [],
      guest: undefined,
      uuids: vm.uuid ? [vm.uuid] : [],
      template: false,
    };
  });
}

export function vmItemsOf(source: CatalogSource, inventory: SourceInventory): VmItem[] {
  if (inventory.kind === "local") return localVmItems(source, inventory);
  return inventory.vms.map((vm) => vsphereVmItem(source, vm));
}
