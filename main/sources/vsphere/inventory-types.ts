/**
 * The shape of a vSphere inventory as Snapferry shows it: the hosts-and-clusters tree an admin
 * knows from the vSphere Client, each datacenter's datastores and networks, and every VM's details.
 * Plain data (JSON-safe apart from Dates), so the CLI, the app and the backup engine share it.
 */
import type { ApiType } from "./service-content.js";
import type { MoRef } from "./moref.js";
import type { ChainHealthSummary, VmSnapshot } from "./snapshot-tree.js";
import type { VmDisk } from "./vm-disks.js";
import type { VmNic } from "./vm-nics.js";

/** Every node: its reference, its name as people read it, and its inventory path. */
export interface InventoryEntity {
  moref: MoRef;
  name: string;
  /**
   * The inventory path, as FindByInventoryPath and `vsphere://HOST/PATH` take it: names joined
   * with "/", each in vSphere's escaped form (a "/" inside a name is "%2f").
   */
  path: string;
}

export interface FolderNode extends InventoryEntity {
  kind: "folder";
  children: InventoryNode[];
}

export interface DatacenterNode extends InventoryEntity {
  kind: "datacenter";
  /** The host folder (clusters and standalone hosts), then any VM placed nowhere else. */
  children: InventoryNode[];
  datastores: DatastoreInfo[];
  networks: NetworkInfo[];
}

export interface ClusterNode extends InventoryEntity {
  kind: "cluster";
  /** Hosts, then resource pools and vApps, then VMs the cluster has not placed on a host. */
  children: InventoryNode[];
}

export interface HostNode extends InventoryEntity {
  kind: "host";
  /** A host outside any cluster: its own compute resource. */
  standalone: boolean;
  /** The ComputeResource or ClusterComputeResource the host belongs to. */
  computeResource: { moref: MoRef; path: string };
  /** connected, disconnected, notResponding. */
  connectionState: string | undefined;
  /** poweredOn, poweredOff, standBy, unknown. */
  powerState: string | undefined;
  inMaintenanceMode: boolean | undefined;
  /** The VMs running (or registered) on this host outside child resource pools; for a standalone host also its pools. */
  children: InventoryNode[];
}

export interface ResourcePoolNode extends InventoryEntity {
  kind: "resource-pool" | "vapp";
  children: InventoryNode[];
}

/** A VM in the tree; its details are in Inventory.vms under the same moref. */
export interface VmNode extends InventoryEntity {
  kind: "vm";
  children: [];
}

export type InventoryNode = FolderNode | DatacenterNode | ClusterNode | HostNode | ResourcePoolNode | VmNode;

export interface DatastoreInfo extends InventoryEntity {
  /** VMFS, NFS, NFS41, vsan, vvol, OTHER, ... */
  type: string | undefined;
  capacityBytes: number | undefined;
  freeBytes: number | undefined;
  accessible: boolean;
  /** normal, enteringMaintenance, inMaintenance. */
  maintenanceMode: string | undefined;
}

export interface NetworkInfo extends InventoryEntity {
  /** Network (a standard port group), DistributedVirtualPortgroup or OpaqueNetwork. */
  type: string;
}

export interface VmPlace {
  moref: MoRef;
  name: string;
  path: string;
}

export interface VmHardware {
  numCPUs: number | undefined;
  memoryMB: number | undefined;
  /** bios or efi. */
  firmware: string | undefined;
}

export interface VmDetails extends InventoryEntity {
  /** The datacenter's name; undefined only for a VM outside any datacenter (never on a sane server). */
  datacenter: string | undefined;
  host: VmPlace | undefined;
  /** The cluster the VM's host belongs to, when it is in one. */
  cluster: VmPlace | undefined;
  resourcePool: VmPlace | undefined;
  template: boolean;
  /** connected, disconnected, orphaned, inaccessible, invalid. */
  connectionState: string | undefined;
  /** poweredOn, poweredOff, suspended. */
  powerState: string | undefined;
  instanceUuid: string | undefined;
  /** The BIOS UUID (config.uuid), the one the guest sees. */
  biosUuid: string | undefined;
  guestFullName: string | undefined;
  guestId: string | undefined;
  /** guestToolsRunning, guestToolsNotRunning, guestToolsExecutingScripts. */
  toolsRunningStatus: string | undefined;
  /** VMware Tools run in the guest, so a snapshot can be quiesced. */
  toolsRunning: boolean;
  hardware: VmHardware;
  changeTrackingEnabled: boolean;
  disks: VmDisk[];
  nics: VmNic[];
  /** The names of the datastores holding the VM's files. */
  datastores: string[];
  snapshots: VmSnapshot[];
  /** The moref value of the snapshot the VM runs on. */
  currentSnapshot: string | undefined;
  chainHealth: ChainHealthSummary;
  /** Properties the server would not give (usually a missing privilege), by path. */
  unreadable: string[];
}

/** A property the server refused to read, e.g. for lack of a privilege on that object. */
export interface UnreadableProperty {
  moref: MoRef;
  name: string;
  property: string;
  message: string;
}

export interface InventoryCounts {
  datacenters: number;
  clusters: number;
  hosts: number;
  resourcePools: number;
  vms: number;
  datastores: number;
  networks: number;
}

export interface Inventory {
  /** "host:port" */
  server: string;
  product: { apiType: ApiType; fullName: string; version: string; apiVersion: string };
  /** When it was read (the `now` chain health was computed at), ISO 8601. */
  readAt: string;
  /** The root folder ("Datacenters"): folders and datacenters below it. */
  root: FolderNode;
  /** Every VM and template, sorted by inventory path. */
  vms: VmDetails[];
  counts: InventoryCounts;
  unreadable: UnreadableProperty[];
}
