/**
 * The vSphere services every door (CLI, app) calls with a logged-in session
 * (services/vsphere-connection.ts opens it; the caller closes it).
 */
import { readInventory, type Inventory } from "../sources/vsphere/inventory.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";

export interface VsphereInventoryOptions {
  /** Objects per property collector page (the collector's default when unset). */
  pageSize?: number;
  signal?: AbortSignal;
}

/**
 * The whole inventory of the server: hosts-and-clusters tree, datastores, networks, and each VM
 * with its disks and snapshot chain health at `now`. One property collector round trip plus
 * paging, whatever the size of the site.
 */
export function vsphereInventory(
  client: VimClient,
  now: Date,
  options: VsphereInventoryOptions = {},
): Promise<Inventory> {
  return readInventory(client, { now, ...options });
}
