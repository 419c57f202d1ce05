/**
 * Finding a VM again by its instance UUID (SearchIndex.FindByUuid), the identity a restore point
 * records: names and folders change, the instance UUID does not. Its inventory path and its
 * datacenter come along, read by walking up the `parent` chain, since datastore URLs need the
 * datacenter's path and deleting datastore files needs the datacenter itself.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatMoRef, parseMoRef, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import { child } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";

export interface VmPlace {
  ref: MoRef;
  name: string;
  /** Inventory path segments below the root folder: ["DC0", "vm", "web01"]. */
  inventoryPath: string[];
  datacenter: { ref: MoRef; path: string };
}

/** Inventory trees are a handful of levels deep; this only stops a parent loop in a broken answer. */
const MAX_DEPTH = 64;

/** The VM with this instance UUID, or undefined when the server has none. */
export async function findVmByInstanceUuid(
  client: VimClient,
  instanceUuid: string,
  signal?: AbortSignal,
): Promise<VmPlace | undefined> {
  const searchIndex = client.serviceContent.searchIndex;
  if (!searchIndex) {
    throw new SnapferryError(
      "vsphere-protocol",
      `${client.server} offers no search index, so the VM cannot be found by its UUID`,
      "Check that the address points at an ESXi host or a vCenter Server.",
    );
  }
  const answer = await client.invoke(
    "FindByUuid",
    { _this: searchIndex, uuid: instanceUuid, vmSearch: true, instanceUuid: true },
    signal ? { signal } : {},
  );
  const node = child(answer, "returnval");
  if (!node) return undefined;
  return placeOf(client, parseMoRef(node, client.server), signal);
}

async function placeOf(client: VimClient, vm: MoRef, signal?: AbortSignal): Promise<VmPlace> {
  const names: string[] = [];
  let datacenter: MoRef | undefined;
  let dcDepth = -1;
  let current: MoRef | undefined = vm;
  const root = client.serviceContent.rootFolder;
  for (let depth = 0; current && depth < MAX_DEPTH; depth++) {
    if (current.type === root.type && current.value === root.value) break;
    const { props } = await retrieveProperties(client, current, ["name", "parent"], signal ? { signal } : {});
    names.unshift(props.get("name")?.text ?? current.value);
    if (current.type === "Datacenter") {
      datacenter = current;
      dcDepth = names.length;
    }
    const parent = props.get("parent");
    current = parent ? parseMoRef(parent, client.server) : undefined;
  }
  if (!datacenter) {
    throw new SnapferryError(
      "vsphere-protocol",
      `VM ${names.at(-1) ?? vm.value} (${formatMoRef(vm)}) on ${client.server} belongs to no datacenter that Snapferry can see`,
      "VMs inside a vApp are not supported yet; move the VM out of the vApp, or check the user's permissions on its datacenter.",
    );
  }
  // The datacenter was met `dcDepth` names from the VM: its own path is everything above and including it.
  const dcPath = names.slice(0, names.length - dcDepth + 1);
  return {
    ref: vm,
    name: names.at(-1) ?? vm.value,
    inventoryPath: names,
    datacenter: { ref: datacenter, path: dcPath.join("/") },
  };
}
