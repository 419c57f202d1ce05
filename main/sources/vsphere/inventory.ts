/**
 * Reads a whole vSphere inventory (an ESXi host or a vCenter) in one property collector round trip
 * plus paging, never one call per VM, and shapes it: the hosts-and-clusters tree, datastores and
 * networks, and each VM's details with its snapshot chain health at `now`.
 */
import { InventoryIndex, kindOf, type EntityKind } from "./inventory-index.js";
import { retrieveInventoryObjects, type InventoryQueryOptions } from "./inventory-query.js";
import { InventoryTreeBuilder } from "./inventory-tree.js";
import type { Inventory, InventoryCounts, UnreadableProperty } from "./inventory-types.js";
import type { ObjectProperties } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";
import { networkNamer, readVmDetails } from "./vm-details.js";

export type * from "./inventory-types.js";

export interface ReadInventoryOptions extends InventoryQueryOptions {
  /** The moment chain health (snapshot ages) is computed at. */
  now: Date;
}

export async function readInventory(client: VimClient, options: ReadInventoryOptions): Promise<Inventory> {
  const objects = await retrieveInventoryObjects(client, options);
  return shapeInventory(client, objects, options.now);
}

/** Shapes collected objects; separate from the reading so it stays a pure function of the answer. */
export function shapeInventory(
  client: VimClient,
  objects: readonly ObjectProperties[],
  now: Date,
): Inventory {
  const index = new InventoryIndex(objects, client.serviceContent.rootFolder, client.server);
  const networks = networkNamer(index);
  const vms = objects
    .filter((o) => kindOf(o.obj) === "vm")
    .map((o) => readVmDetails(o, index, networks, now))
    .sort((a, b) => a.path.localeCompare(b.path));
  const about = client.serviceContent.about;
  return {
    server: client.server,
    product: {
      apiType: about.apiType,
      fullName: about.fullName,
      version: about.version,
      apiVersion: about.apiVersion,
    },
    readAt: now.toISOString(),
    root: new InventoryTreeBuilder(index, vms).build(),
    vms,
    counts: countEntities(index, objects),
    unreadable: unreadableProperties(index, objects),
  };
}

function countEntities(index: InventoryIndex, objects: readonly ObjectProperties[]): InventoryCounts {
  const counts = new Map<EntityKind, number>();
  for (const o of objects) {
    const kind = kindOf(o.obj);
    // A compute resource's root pool ("Resources") is not a pool anyone created.
    if (kind === "resource-pool" && isRootPool(index, o)) continue;
    counts.set(kind, (counts.get(kind) ?? 0) + 1);
  }
  const n = (kind: EntityKind): number => counts.get(kind) ?? 0;
  return {
    datacenters: n("datacenter"),
    clusters: n("cluster"),
    hosts: n("host"),
    resourcePools: n("resource-pool") + n("vapp"),
    vms: n("vm"),
    datastores: n("datastore"),
    networks: n("network"),
  };
}

function isRootPool(index: InventoryIndex, pool: ObjectProperties): boolean {
  const parent = index.parentOf(pool);
  return parent !== undefined && ["cluster", "compute-resource"].includes(kindOf(parent));
}

function unreadableProperties(
  index: InventoryIndex,
  objects: readonly ObjectProperties[],
): UnreadableProperty[] {
  return objects.flatMap((o) =>
    o.missing.map((m) => ({
      moref: o.obj,
      name: index.name(o),
      property: m.path,
      message: m.fault.message,
    })),
  );
}
