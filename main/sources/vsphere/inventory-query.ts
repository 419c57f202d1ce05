/**
 * What the inventory asks the server for: one container view over the root folder and one
 * property filter with the few properties each type needs, so the whole site comes back in one
 * RetrievePropertiesEx plus its pages, whatever the number of VMs. Only base types are named:
 * views and property specs include their subtypes (ClusterComputeResource, VirtualApp,
 * StoragePod, DistributedVirtualPortgroup, OpaqueNetwork), and a base type is known to every
 * server, ESXi included.
 */
import type { ObjectProperties } from "./property-collector.js";
import { retrieveFromContainer } from "./property-collector.js";
import type { VimClient } from "./vim-client.js";

const ENTITY = ["name", "parent"];

export const VM_PROPERTIES = [
  ...ENTITY,
  "parentVApp",
  "resourcePool",
  "datastore",
  "snapshot",
  "config.template",
  "config.instanceUuid",
  "config.uuid",
  "config.guestFullName",
  "config.guestId",
  "config.firmware",
  "config.changeTrackingEnabled",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.hardware.device",
  "runtime.powerState",
  "runtime.connectionState",
  "runtime.host",
  "guest.toolsRunningStatus",
] as const;

export const INVENTORY_PROPERTIES: Readonly<Record<string, readonly string[]>> = {
  Folder: ENTITY,
  Datacenter: [...ENTITY, "hostFolder"],
  ComputeResource: ENTITY,
  HostSystem: [...ENTITY, "runtime.connectionState", "runtime.powerState", "runtime.inMaintenanceMode"],
  ResourcePool: ENTITY,
  VirtualMachine: VM_PROPERTIES,
  Datastore: [...ENTITY, "summary"],
  Network: ENTITY,
};

export interface InventoryQueryOptions {
  /** Objects per page (default: the property collector's). */
  pageSize?: number;
  signal?: AbortSignal;
}

export function retrieveInventoryObjects(
  client: VimClient,
  options: InventoryQueryOptions = {},
): Promise<ObjectProperties[]> {
  return retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: INVENTORY_PROPERTIES,
    recursive: true,
    ...(options.pageSize !== undefined ? { pageSize: options.pageSize } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
}
