/** Data shaped as main sends it (preload/contract.ts), for component tests. */
import type { CatalogRestorePoint, CatalogRun, CatalogSource } from "../../../main/catalog/catalog-api";
import type { ChainHealthSummary } from "../../../main/sources/vsphere/snapshot-tree";
import type { VmDetails, VmNode } from "../../../main/sources/vsphere/inventory-types";
import type { JobSettings } from "../../../main/jobs/job-settings";
import type { JobView, RepositoryView, SourceInventory, Wire } from "../../../preload/contract";

export const vsphereSource: CatalogSource = {
  id: "src-vc",
  kind: "vsphere",
  name: "vcenter.lab",
  location: "vcenter.lab:443",
  user: "backup@vsphere.local",
  addedAt: "2026-01-02T10:00:00.000Z",
};

export const localSource: CatalogSource = {
  id: "src-local",
  kind: "local-folder",
  name: "web01 folder",
  location: "/vms/web01",
  user: null,
  addedAt: "2026-01-02T10:00:00.000Z",
};

const okChain: ChainHealthSummary = {
  status: "ok",
  depth: 0,
  snapshotCount: 0,
  warnings: [],
  summary: "no snapshots",
};

export const deepChain: ChainHealthSummary = {
  status: "warning",
  depth: 3,
  snapshotCount: 3,
  warnings: [
    {
      kind: "deep-chain",
      message: "The VM runs on a chain of 3 snapshots. VMware advises no more than 2 or 3 (KB 1025279).",
      snapshots: ["s1", "s2", "s3"],
    },
  ],
  summary: "3 snapshots, chain depth 3: warning",
};

export interface VmOptions {
  powerState?: string;
  toolsRunning?: boolean;
  cbt?: boolean;
  chain?: ChainHealthSummary;
}

export function vmDetails(name: string, options: VmOptions = {}): Wire<VmDetails> {
  return {
    moref: { type: "VirtualMachine", value: `vm-${name}` },
    name,
    path: `DC1/vm/${name}`,
    datacenter: "DC1",
    host: { moref: { type: "HostSystem", value: "host-1" }, name: "esx1", path: "DC1/host/C1/esx1" },
    cluster: { moref: { type: "ClusterComputeResource", value: "c-1" }, name: "C1", path: "DC1/host/C1" },
    resourcePool: undefined,
    template: false,
    connectionState: "connected",
    powerState: options.powerState ?? "poweredOn",
    instanceUuid: `inst-${name}`,
    biosUuid: `bios-${name}`,
    guestFullName: "Debian GNU/Linux 12 (64-bit)",
    guestId: "debian12_64Guest",
    toolsRunningStatus: options.toolsRunning === false ? "guestToolsNotRunning" : "guestToolsRunning",
    toolsRunning: options.toolsRunning ?? true,
    hardware: { numCPUs: 2, memoryMB: 4096, firmware: "efi" },
    changeTrackingEnabled: options.cbt ?? true,
    disks: [],
    nics: [],
    datastores: ["ds1"],
    snapshots: [],
    currentSnapshot: undefined,
    chainHealth: options.chain ?? okChain,
    unreadable: [],
  };
}

/** A vCenter with one datacenter, one cluster, one host and the given VMs on it. */
export function vsphereInventory(vms: Wire<VmDetails>[]): SourceInventory {
  const vmNodes: Wire<VmNode>[] = vms.map((vm) => ({
    kind: "vm",
    moref: vm.moref,
    name: vm.name,
    path: vm.path,
    children: [],
  }));
  return {
    kind: "vsphere",
    server: "vcenter.lab:443",
    product: {
      apiType: "VirtualCenter",
      fullName: "VMware vCenter Server 8.0",
      version: "8.0.2",
      apiVersion: "8.0.2.0",
    },
    readAt: "2026-01-05T10:00:00.000Z",
    root: {
      kind: "folder",
      moref: { type: "Folder", value: "group-d1" },
      name: "Datacenters",
      path: "",
      children: [
        {
          kind: "datacenter",
          moref: { type: "Datacenter", value: "dc-1" },
          name: "DC1",
          path: "DC1",
          datastores: [
            {
              moref: { type: "Datastore", value: "ds-1" },
              name: "ds1",
              path: "DC1/datastore/ds1",
              type: "VMFS",
              capacityBytes: 2 ** 40,
              freeBytes: 2 ** 39,
              accessible: true,
              maintenanceMode: "normal",
            },
          ],
          networks: [],
          children: [
            {
              kind: "cluster",
              moref: { type: "ClusterComputeResource", value: "c-1" },
              name: "C1",
              path: "DC1/host/C1",
              children: [
                {
                  kind: "host",
                  moref: { type: "HostSystem", value: "host-1" },
                  name: "esx1",
                  path: "DC1/host/C1/esx1",
                  standalone: false,
                  computeResource: {
                    moref: { type: "ClusterComputeResource", value: "c-1" },
                    path: "DC1/host/C1",
                  },
                  connectionState: "connected",
                  powerState: "poweredOn",
                  inMaintenanceMode: false,
                  children: vmNodes,
                },
              ],
            },
          ],
        },
      ],
    },
    vms,
    counts: {
      datacenters: 1,
      clusters: 1,
      hosts: 1,
      resourcePools: 0,
      vms: vms.length,
      datastores: 1,
      networks: 0,
    },
    unreadable: [],
  };
}

export const encryptedRepo: RepositoryView = {
  repositoryId: "repo-1",
  name: "usb-backup",
  path: "/media/usb/snapferry",
  encryption: "aes256gcm",
  chunkSize: 1048576,
  addedAt: "2026-01-01T09:00:00.000Z",
  lastOpenedAt: null,
  passwordSaved: false,
};

export function restorePoint(overrides: Partial<CatalogRestorePoint> = {}): CatalogRestorePoint {
  return {
    repositoryId: "repo-1",
    id: "rp-1",
    time: "2026-01-04T22:00:00.000Z",
    type: "incremental",
    consistency: "application",
    sourceKind: "vsphere",
    source: "vsphere://vcenter.lab:443/DC1/vm/db01",
    vmUuid: "bios-db01",
    vmName: "db01",
    disks: [
      { index: 0, name: "Hard disk 1", size: 40 * 2 ** 30 },
      { index: 1, name: "Hard disk 2", size: 200 * 2 ** 30 },
    ],
    bytesAdded: 512 * 2 ** 20,
    verifiedAt: null,
    verifyFailure: null,
    ...overrides,
  };
}

/** A backup run of db01 that main just started, still running. */
export function runningRun(overrides: Partial<CatalogRun> = {}): CatalogRun {
  return {
    id: "run-1",
    jobId: null,
    kind: "backup",
    title: "Back up db01",
    status: "running",
    startedAt: "2026-01-05T10:00:00.000Z",
    finishedAt: null,
    bytesRead: 0,
    bytesStored: 0,
    restorePointId: null,
    repositoryId: "repo-1",
    error: null,
    ...overrides,
  };
}

/** A daily job of the local source into repo-1, as the job form saves it by default. */
export const nightlySettings: JobSettings = {
  version: 1,
  sourceId: "src-local",
  selection: { kind: "source" },
  repositoryId: "repo-1",
  schedule: { kind: "daily", time: "22:00" },
  copies: [],
  concurrency: 1,
  retries: { attempts: 2, backoffSeconds: 300 },
  allowCrashConsistent: false,
};

export function nightlyJob(overrides: Partial<JobView> = {}): JobView {
  return {
    id: "job-1",
    name: "Nightly",
    settings: nightlySettings,
    scheduleText: "every day at 22:00",
    nextRun: null,
    lastRun: null,
    running: false,
    ...overrides,
  };
}
