/**
 * Finding the VM a user named in `vsphere://HOST/VM`: an inventory path ("DC0/vm/folder/web01")
 * goes to SearchIndex.FindByInventoryPath; a bare name is matched against every VM of the site.
 * Either way the VM's datacenter path comes along, since datastore URLs (/folder?dcPath=) need it.
 * A name that matches several VMs, or none, is refused with the candidates listed.
 */
import { SnapferryError, UsageError } from "../../common/errors.js";
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
 * vSphere escapes "/", "\" and "%" inside entity names (%2f, %5c, %25), so that inventory paths
 * can be split on "/". A name typed by the user is unescaped.
 */
export function escapeInventoryName(name: string): string {
  return name
    .replace(/%(?![0-9a-fA-F]{2})/g, "%25")
    .replace(/\//g, "%2f")
    .replace(/\\/g, "%5c");
}

/** Finds the VM named by the path segments of a vsphere:// address. */
export async function findVm(client: VimClient, path: string[], signal?: AbortSignal): Promise<VmLocation> {
  if (path.length === 0) {
    throw new UsageError(
      "the vsphere:// address names no VM",
      "Write vsphere://HOST[:PORT]/VM, VM being the VM's name or its inventory path (DATACENTER/vm/FOLDER/NAME).",
    );
  }
  const entities = await readEntities(client, signal);
  if (path.length === 1) return byName(client, entities, path[0] ?? "");
  return byPath(client, entities, path, signal);
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

function pathText(client: VimClient, entities: Map<string, Entity>, vm: Entity): string {
  const chain = lineage(entities, vm, client.serviceContent.rootFolder);
  return chain.map((e) => e.name).join("/");
}

function vms(entities: Map<string, Entity>): Entity[] {
  return [...entities.values()].filter((e) => e.ref.type === "VirtualMachine");
}

function listCandidates(client: VimClient, entities: Map<string, Entity>, found: Entity[]): string {
  const paths = found.slice(0, MAX_LISTED).map((vm) => pathText(client, entities, vm));
  const more = found.length > MAX_LISTED ? `, and ${found.length - MAX_LISTED} more` : "";
  return paths.join(", ") + more;
}

function byName(client: VimClient, entities: Map<string, Entity>, name: string): VmLocation {
  const wanted = new Set([name, escapeInventoryName(name)]);
  const all = vms(entities);
  const matches = all.filter((vm) => wanted.has(vm.name));
  const [only] = matches;
  if (only && matches.length === 1) return locate(client, entities, only);
  if (matches.length > 1) {
    throw new UsageError(
      `${matches.length} VMs on ${client.server} are named "${name}": ${listCandidates(client, entities, matches)}`,
      "Name the VM by its inventory path instead: vsphere://HOST/DATACENTER/vm/FOLDER/NAME.",
    );
  }
  throw notFound(client, entities, name, all);
}

async function byPath(
  client: VimClient,
  entities: Map<string, Entity>,
  path: string[],
  signal?: AbortSignal,
): Promise<VmLocation> {
  const searchIndex = client.serviceContent.searchIndex;
  const inventoryPath = path.map(escapeInventoryName).join("/");
  if (searchIndex) {
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
    const vm = ref ? entities.get(formatMoRef(ref)) : undefined;
    if (vm) return locate(client, entities, vm);
  }
  const last = path.at(-1) ?? "";
  throw notFound(client, entities, inventoryPath, vms(entities), last);
}

function notFound(
  client: VimClient,
  entities: Map<string, Entity>,
  what: string,
  all: Entity[],
  name = what,
): SnapferryError {
  const lower = name.toLowerCase();
  const similar = all.filter(
    (vm) => vm.name.toLowerCase().includes(lower) || lower.includes(vm.name.toLowerCase()),
  );
  const listed = similar.length > 0 ? similar : all;
  const label = similar.length > 0 ? "VMs with a similar name" : `the ${all.length} VMs there include`;
  return new SnapferryError(
    "not-found",
    `no VM "${what}" on ${client.server}` +
      (listed.length > 0
        ? `; ${label}: ${listCandidates(client, entities, listed)}`
        : "; it has no VMs the user can see"),
    "Check the name (case matters) or give the inventory path (DATACENTER/vm/FOLDER/NAME); " +
      "`snapferry vsphere inventory` lists every VM with its path.",
  );
}
