/** Where a new VM can go on a vSphere source: its clusters and standalone hosts, and datastores. */
import type { DatacenterNode, InventoryNode } from "../../../main/sources/vsphere/inventory-types";
import type { SourceInventory, Wire } from "../../../preload/contract";

export interface Placement {
  /** DATACENTER/HOST-OR-CLUSTER, as jobs.restore's vsphere-new target takes it. */
  value: string;
  label: string;
  datacenter: string;
}

export interface DatastoreChoice {
  name: string;
  datacenter: string;
  label: string;
}

export function placementsOf(inventory: SourceInventory | undefined): {
  placements: Placement[];
  datastores: DatastoreChoice[];
} {
  if (!inventory || inventory.kind !== "vsphere") return { placements: [], datastores: [] };
  const placements: Placement[] = [];
  const datastores: DatastoreChoice[] = [];
  for (const dc of datacenters(inventory.root.children)) {
    for (const target of computeTargets(dc.children)) {
      placements.push({
        value: `${dc.name}/${target.name}`,
        label: `${dc.name} › ${target.name} (${target.kind === "cluster" ? "cluster" : "host"})`,
        datacenter: dc.name,
      });
    }
    for (const ds of dc.datastores) {
      if (!ds.accessible) continue;
      const free = ds.freeBytes === undefined ? "" : `, ${Math.round(ds.freeBytes / 2 ** 30)} GiB free`;
      datastores.push({
        name: ds.name,
        datacenter: dc.name,
        label: `${ds.name} (${ds.type ?? "datastore"}${free})`,
      });
    }
  }
  return { placements, datastores };
}

type Node = Wire<InventoryNode>;

function datacenters(nodes: Node[]): Wire<DatacenterNode>[] {
  return nodes.flatMap((n) =>
    n.kind === "datacenter" ? [n] : n.kind === "folder" ? datacenters(n.children) : [],
  );
}

/** Clusters and standalone hosts, through any folders between them and the datacenter. */
function computeTargets(nodes: Node[]): Node[] {
  return nodes.flatMap((n) => {
    if (n.kind === "cluster") return [n];
    if (n.kind === "host") return n.standalone ? [n] : [];
    if (n.kind === "folder") return computeTargets(n.children);
    return [];
  });
}
