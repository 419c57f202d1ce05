/**
 * Finding the VM a user named: by its inventory path ("DC0/vm/folder/web01") or by a name only one
 * VM has. A name that matches several VMs, or none, is refused with the candidates listed. The
 * same rules and messages serve two finders, because they start from different places:
 *
 * - `findInventoryVm` picks from an Inventory already read (the app, which shows the tree, and
 *   has every VM's details in hand), without another round trip;
 * - `findVm` asks the server, for a backup or a command that must not read every VM's disks and
 *   snapshots just to find one: SearchIndex.FindByInventoryPath for a path, names and parents
 *   only for a name. It also gives the VM's datacenter path, which datastore URLs
 *   (/folder?dcPath=) need.
 */
import { SnapferryError, UsageError } from "../../common/errors.js";
import type { Inventory, VmDetails } from "./inventory-types.js";
import { escapeInventoryName, sameInventoryName } from "./inventory-names.js";
import { formatMoRef, parseMoRef, sameMoRef, type MoRef } from "./moref.js";
import { retrieveFromContainer, type ObjectProperties } from "./property-collector.js";
import { child } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";

export interface VmLocation {
  ref: MoRef;
  name: string;
  /** Inventory path segments, datacenter folders first: ["DC0", "vm", "web01"]. */
  inventoryPath: string[];
  /** The datacenter's inventory path, as datastore URLs take it in dcPath ("DC0", "folder/DC0"). */
  datacenterPath: string;
}

interface Entity {
  ref: MoRef;
  name: string;
  parent: MoRef | undefined;
}

/** How many candidates an error lists before saying "and N more". */
const MAX_LISTED = 10;

/**
 * The VM a user named, from an inventory already read: an inventory path ("/DC0/vm/web01",
 * "DC0/vm/web01") or a name only one VM has.
 */
export function findInventoryVm(inventory: Inventory, wanted: string): VmDetails {
  const asPath = wanted.startsWith("/") ? wanted : `/${wanted}`;
  const byPath = inventory.vms.find((vm) => vm.path === asPath);
  if (byPath) return byPath;
  const candidates = inventory.vms.map((vm) => ({ vm, name: vm.name, path: vm.path }));
  return chooseByName(candidates, wanted, inventory.server).vm;
}

/** Finds the VM named by the path segments of a vsphere:// address, on the server. */
export async function findVm(client: VimClient, path: string[], signal?: AbortSignal): Promise<VmLocation> {
  if (path.length === 0) {
    throw new UsageError(
      "the vsphere:// address names no VM",
      "Write vsphere://HOST[:PORT]/VM, VM being the VM's name or its inventory path (DATACENTER/vm/FOLDER/NAME).",
    );
  }
  const entities = await readEntities(client, signal);
  const root = client.serviceContent.rootFolder;
  const candidates = (): { vm: Entity; name: string; path: string }[] =>
    vms(entities).map((vm) => ({ vm, name: vm.name, path: pathText(entities, vm, root) }));
  if (path.length === 1) {
    return locate(client, entities, chooseByName(candidates(), path[0] ?? "", client.server).vm);
  }
  const inventoryPath = path.map(escapeInventoryName).join("/");
  const found = await byPath(client, entities, inventoryPath, signal);
  if (found) return locate(client, entities, found);
  throw notFound(client.server, inventoryPath, candidates(), path.at(-1) ?? "");
}

async function readEntities(client: VimClient, signal?: AbortSignal): Promise<Map<string, Entity>> {
  const found = await retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { Folder: ["name", "parent"], Datacenter: ["name", "parent"], VirtualMachine: ["name", "parent"] },
    recursive: true,
    ...(signal ? { signal } : {}),
  });
  return new Map(found.map((o) => [formatMoRef(o.obj), toEntity(o, client.server)]));
}

function toEntity(o: ObjectProperties, server: string): Entity {
  const parentNode = o.props.get("parent");
  return {
    ref: o.obj,
    name: o.props.get("name")?.text ?? "",
    parent: parentNode ? parseMoRef(parentNode, server) : undefined,
  };
}

/** Ancestors from the top (below the root folder) down to `entity` itself. */
function lineage(entities: Map<string, Entity>, entity: Entity, root: MoRef): Entity[] {
  const chain: Entity[] = [];
  let current: Entity | undefined = entity;
  // Bounded by the number of entities: a parent loop in a broken answer cannot hang us.
  for (let steps = 0; current && steps <= entities.size; steps++) {
    if (sameMoRef(current.ref, root)) break;
    chain.unshift(current);
    current = current.parent ? entities.get(formatMoRef(current.parent)) : undefined;
  }
  return chain;
}

function locate(client: VimClient, entities: Map<string, Entity>, vm: Entity): VmLocation {
  const chain = lineage(entities, vm, client.serviceContent.rootFolder);
  const dcIndex = chain.findIndex((e) => e.ref.type === "Datacenter");
  if (dcIndex < 0) {
    throw new SnapferryError(
      "vsphere-protocol",
      `VM ${vm.name} (${formatMoRef(vm.ref)}) on ${client.server} belongs to no datacenter that Snapferry can see`,
      "VMs inside a vApp are not supported yet; move the VM out of the vApp, or check the user's permissions on its datacenter.",
    );
  }
  return {
    ref: vm.ref,
    name: vm.name,
    inventoryPath: chain.map((e) => e.name),
    datacenterPath: chain
      .slice(0, dcIndex + 1)
      .map((e) => e.name)
      .join("/"),
  };
}

function pathText(entities: Map<string, Entity>, vm: Entity, root: MoRef): string {
  return lineage(entities, vm, root)
    .map((e) => e.name)
    .join("/");
}

function vms(entities: Map<string, Entity>): Entity[] {
  return [...entities.values()].filter((e) => e.ref.type === "VirtualMachine");
}

/** The VM at an inventory path (escaped), or undefined when there is none. */
async function byPath(
  client: VimClient,
  entities: Map<string, Entity>,
  inventoryPath: string,
  signal?: AbortSignal,
): Promise<Entity | undefined> {
  const searchIndex = client.serviceContent.searchIndex;
  if (!searchIndex) return undefined;
  const answer = await client.invoke(
    "FindByInventoryPath",
    { _this: searchIndex, inventoryPath },
    signal ? { signal } : {},
  );
  const node = child(answer, "returnval");
  const ref = node ? parseMoRef(node, client.server) : undefined;
  if (ref && ref.type !== "VirtualMachine") {
    throw new UsageError(
      `${inventoryPath} on ${client.server} is a ${ref.type}, not a VM`,
      "Give the path of a VM: DATACENTER/vm/FOLDER/NAME.",
    );
  }
  return ref ? entities.get(formatMoRef(ref)) : undefined;
}

/** A VM as both finders compare it: its name (escaped or not) and the path an error lists. */
interface Candidate {
  name: string;
  path: string;
}

function chooseByName<T extends Candidate>(all: readonly T[], wanted: string, server: string): T {
  const matches = all.filter((vm) => sameInventoryName(vm.name, wanted));
  const [only] = matches;
  if (only && matches.length === 1) return only;
  if (matches.length > 1) {
    throw new UsageError(
      `${matches.length} VMs on ${server} are named "${wanted}": ${listPaths(matches)}`,
      "Name the VM by its inventory path instead (DATACENTER/vm/FOLDER/NAME, one of those listed).",
    );
  }
  throw notFound(server, wanted, all, wanted);
}

function listPaths(found: readonly Candidate[]): string {
  const paths = found.slice(0, MAX_LISTED).map((vm) => vm.path);
  const more = found.length > MAX_LISTED ? `, and ${found.length - MAX_LISTED} more` : "";
  return paths.join(", ") + more;
}

/** `what` is what the user wrote; `name` its last segment, compared with the VMs' names. */
function notFound(server: string, what: string, all: readonly Candidate[], name: string): SnapferryError {
  const lower = name.toLowerCase();
  const similar = all.filter(
    (vm) => vm.name.toLowerCase().includes(lower) || lower.includes(vm.name.toLowerCase()),
  );
  const listed = similar.length > 0 ? similar : all;
  const label = similar.length > 0 ? "VMs with a similar name" : `the ${all.length} VMs there include`;
  return new SnapferryError(
    "not-found",
    `no VM "${what}" on ${server}` +
      (listed.length > 0 ? `; ${label}: ${listPaths(listed)}` : "; it has no VMs the user can see"),
    "Check the name (case matters) or give the inventory path (DATACENTER/vm/FOLDER/NAME); " +
      "`snapferry vsphere inventory` lists every VM with its path.",
  );
}
