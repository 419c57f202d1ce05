/**
 * The hosts-and-clusters tree from an indexed inventory: datacenters (inside their folders), each
 * one's host folder with its folders, clusters and standalone hosts, the hosts of each cluster,
 * resource pools and vApps, and the VMs. As in the vSphere Client, a cluster's or host's root
 * resource pool ("Resources") is not shown: the VMs in it appear under the host they run on.
 */
import { formatMoRef, type MoRef } from "./moref.js";
import type { ObjectProperties } from "./property-collector.js";
import { kindOf, type EntityKind, type InventoryIndex } from "./inventory-index.js";
import type {
  ClusterNode,
  DatacenterNode,
  DatastoreInfo,
  FolderNode,
  HostNode,
  InventoryNode,
  NetworkInfo,
  ResourcePoolNode,
  VmDetails,
  VmNode,
} from "./inventory-types.js";
import { booleanOf, numberOf, textOf } from "./vim-values.js";

const ORDER: readonly InventoryNode["kind"][] = [
  "folder",
  "datacenter",
  "cluster",
  "host",
  "resource-pool",
  "vapp",
  "vm",
];

export class InventoryTreeBuilder {
  /** VMs by the key of the node they appear under. */
  readonly #vmsAt = new Map<string, VmDetails[]>();
  /** Datastores and networks by the key of their datacenter. */
  readonly #storage = new Map<string, { datastores: DatastoreInfo[]; networks: NetworkInfo[] }>();

  constructor(
    private readonly index: InventoryIndex,
    vms: readonly VmDetails[],
  ) {
    for (const vm of vms) this.place(vm);
    for (const o of index.all()) this.collectStorage(o);
  }

  build(): FolderNode {
    const root = this.index.rootFolder;
    return {
      kind: "folder",
      moref: root,
      name: "Datacenters",
      path: "/",
      children: this.entitiesUnder(root, ["folder", "datacenter"]),
    };
  }

  /** Where a VM shows: its child pool or vApp, else its host, else its cluster, else its datacenter. */
  private place(vm: VmDetails): void {
    const pool = this.index.get(vm.resourcePool?.moref);
    let at: MoRef | undefined;
    if (pool && !this.isRootPool(pool)) at = pool.obj;
    else if (vm.host) at = vm.host.moref;
    else if (pool) at = this.index.parentOf(pool);
    else {
      const o = this.index.get(vm.moref);
      at = o && this.index.ancestor(o, "Datacenter")?.obj;
    }
    const key = formatMoRef(at ?? this.index.rootFolder);
    const list = this.#vmsAt.get(key) ?? [];
    list.push(vm);
    this.#vmsAt.set(key, list);
  }

  private isRootPool(pool: ObjectProperties): boolean {
    const parent = this.index.parentOf(pool);
    return parent !== undefined && (kindOf(parent) === "cluster" || kindOf(parent) === "compute-resource");
  }

  private collectStorage(o: ObjectProperties): void {
    const kind = kindOf(o.obj);
    if (kind !== "datastore" && kind !== "network") return;
    const dc = this.index.ancestor(o, "Datacenter");
    const key = dc ? formatMoRef(dc.obj) : "";
    const entry = this.#storage.get(key) ?? { datastores: [], networks: [] };
    this.#storage.set(key, entry);
    if (kind === "datastore") entry.datastores.push(this.datastore(o));
    else entry.networks.push({ ...this.entity(o), type: o.obj.type });
  }

  private entity(o: ObjectProperties): { moref: MoRef; name: string; path: string } {
    return { moref: o.obj, name: this.index.name(o), path: this.index.pathOrRef(o) };
  }

  private datastore(o: ObjectProperties): DatastoreInfo {
    const summary = o.props.get("summary");
    return {
      ...this.entity(o),
      type: textOf(summary, "type"),
      capacityBytes: numberOf(summary, "capacity"),
      freeBytes: numberOf(summary, "freeSpace"),
      // Not reported means not known to be accessible: a backup must not count on it.
      accessible: booleanOf(summary, "accessible") ?? false,
      maintenanceMode: textOf(summary, "maintenanceMode"),
    };
  }

  private entitiesUnder(parent: MoRef, kinds: readonly EntityKind[]): InventoryNode[] {
    const nodes = this.index
      .childrenOf(parent)
      .filter((o) => kinds.includes(kindOf(o.obj)))
      .map((o) => this.node(o));
    return sortNodes(nodes);
  }

  private node(o: ObjectProperties): InventoryNode {
    switch (kindOf(o.obj)) {
      case "datacenter":
        return this.datacenter(o);
      case "cluster":
        return this.cluster(o);
      case "compute-resource":
        return this.standaloneHost(o);
      case "resource-pool":
      case "vapp":
        return this.pool(o);
      default:
        return this.folder(o);
    }
  }

  private folder(o: ObjectProperties): FolderNode {
    const kinds: EntityKind[] = ["folder", "datacenter", "cluster", "compute-resource"];
    return { kind: "folder", ...this.entity(o), children: this.entitiesUnder(o.obj, kinds) };
  }

  private datacenter(o: ObjectProperties): DatacenterNode {
    const hostFolder = this.index.get(this.index.ref(o, "hostFolder"));
    const storage = this.#storage.get(formatMoRef(o.obj));
    return {
      kind: "datacenter",
      ...this.entity(o),
      children: [...(hostFolder ? [this.folder(hostFolder)] : []), ...this.vmNodesAt(o.obj)],
      datastores: sortByName(storage?.datastores ?? []),
      networks: sortByName(storage?.networks ?? []),
    };
  }

  private cluster(o: ObjectProperties): ClusterNode {
    const hosts = this.index
      .childrenOf(o.obj)
      .filter((h) => kindOf(h.obj) === "host")
      .map((h) => this.host(h, o, false, []));
    return {
      kind: "cluster",
      ...this.entity(o),
      children: sortNodes([...hosts, ...this.childPools(o), ...this.vmNodesAt(o.obj)]),
    };
  }

  /** A ComputeResource outside a cluster: shown as its one host, with the pools and VMs under it. */
  private standaloneHost(o: ObjectProperties): HostNode {
    const host = this.index.childrenOf(o.obj).find((h) => kindOf(h.obj) === "host");
    const below = [...this.childPools(o), ...this.vmNodesAt(o.obj)];
    return this.host(host ?? o, o, true, below);
  }

  private host(
    h: ObjectProperties,
    compute: ObjectProperties,
    standalone: boolean,
    extra: InventoryNode[],
  ): HostNode {
    const isHost = kindOf(h.obj) === "host";
    return {
      kind: "host",
      ...this.entity(h),
      standalone,
      computeResource: { moref: compute.obj, path: this.index.pathOrRef(compute) },
      connectionState: isHost ? this.index.text(h, "runtime.connectionState") : undefined,
      powerState: isHost ? this.index.text(h, "runtime.powerState") : undefined,
      inMaintenanceMode: isHost ? booleanOf(h.props.get("runtime.inMaintenanceMode")) : undefined,
      children: sortNodes([...extra, ...(isHost ? this.vmNodesAt(h.obj) : [])]),
    };
  }

  /** The pools and vApps under a compute resource's hidden root pool. */
  private childPools(compute: ObjectProperties): InventoryNode[] {
    const root = this.index.childrenOf(compute.obj).find((p) => kindOf(p.obj) === "resource-pool");
    return root ? this.entitiesUnder(root.obj, ["resource-pool", "vapp"]) : [];
  }

  private pool(o: ObjectProperties): ResourcePoolNode {
    const kind = kindOf(o.obj) === "vapp" ? "vapp" : "resource-pool";
    const pools = this.entitiesUnder(o.obj, ["resource-pool", "vapp"]);
    return { kind, ...this.entity(o), children: sortNodes([...pools, ...this.vmNodesAt(o.obj)]) };
  }

  private vmNodesAt(ref: MoRef): VmNode[] {
    return (this.#vmsAt.get(formatMoRef(ref)) ?? []).map((vm) => ({
      kind: "vm",
      moref: vm.moref,
      name: vm.name,
      path: vm.path,
      children: [],
    }));
  }
}

const collator = new Intl.Collator("en", { numeric: true, sensitivity: "base" });

function sortNodes<T extends InventoryNode>(nodes: T[]): T[] {
  return nodes.sort(
    (a, b) => ORDER.indexOf(a.kind) - ORDER.indexOf(b.kind) || collator.compare(a.name, b.name),
  );
}

function sortByName<T extends { name: string }>(items: T[]): T[] {
  return items.sort((a, b) => collator.compare(a.name, b.name));
}
