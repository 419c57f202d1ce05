/**
 * Where a restored VM goes: `DATACENTER/HOST-OR-CLUSTER` (or `DATACENTER/CLUSTER/HOST`) and a
 * datastore name, resolved to the managed objects CreateVM_Task needs. Every wrong name is refused
 * with the names that do exist, and a host that cannot take a VM (disconnected, in maintenance) is
 * refused before anything is created.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatMoRef, parseMoRef, parseMoRefs, sameMoRef, type MoRef } from "./moref.js";
import { retrieveFromContainer, retrieveProperties, type ObjectProperties } from "./property-collector.js";
import { child, text, type XmlNode } from "./soap-xml.js";
import { findTargetDatastore, type DatastoreTarget } from "./target-datastore.js";
import type { VimClient } from "./vim-client.js";

export type { DatastoreTarget } from "./target-datastore.js";

export interface NamedRef {
  ref: MoRef;
  name: string;
}

export interface Placement {
  datacenter: NamedRef & {
    /** The inventory path from the root folder: the `dcPath` of datastore /folder URLs. */
    path: string;
    vmFolder: MoRef;
  };
  computeResource: NamedRef & { cluster: boolean };
  /** The compute resource's root resource pool. */
  resourcePool: MoRef;
  /** Given to CreateVM_Task: a standalone host, the host named, or one picked in a cluster without DRS. */
  host: NamedRef | undefined;
  datastore: DatastoreTarget;
  /** The networks the compute resource reaches. */
  networks: MoRef[];
  /** "DC0/DC0_C0", for messages. */
  label: string;
  notes: string[];
}

interface HostState extends NamedRef {
  parent: MoRef | undefined;
  connectionState: string;
  inMaintenance: boolean;
  datastores: MoRef[];
}

interface ComputeTarget {
  computeResource: ComputeResourceState;
  host: HostState | undefined;
  /** Every host of the compute resource. */
  members: HostState[];
}

interface ComputeResourceState extends NamedRef {
  cluster: boolean;
  resourcePool: MoRef | undefined;
  hosts: MoRef[];
  datastores: MoRef[];
  networks: MoRef[];
}

/** A target that does not exist or cannot take a VM: the message lists what there is. */
export class PlacementError extends SnapferryError {
  constructor(message: string, hint: string, code: "not-found" | "target" | "usage" = "not-found") {
    super(code, message, hint);
  }
}

function nameOf(o: ObjectProperties): string {
  return o.props.get("name")?.text ?? formatMoRef(o.obj);
}

function refOf(o: ObjectProperties, path: string, server: string): MoRef | undefined {
  const val = o.props.get(path);
  return val ? parseMoRef(val, server) : undefined;
}

function refsOf(o: ObjectProperties, path: string, server: string): MoRef[] {
  return parseMoRefs(o.props.get(path), server);
}

function listNames(names: string[]): string {
  return names.length === 0 ? "none" : [...names].sort().join(", ");
}

function includes(list: readonly MoRef[], ref: MoRef): boolean {
  return list.some((r) => sameMoRef(r, ref));
}

export async function resolvePlacement(
  client: VimClient,
  request: { path: readonly string[]; datastore: string; signal?: AbortSignal },
): Promise<Placement> {
  const [dcName, first, second, ...extra] = request.path;
  if (dcName === undefined || first === undefined || extra.length > 0) {
    throw new PlacementError(
      `"${request.path.join("/")}" does not name a datacenter and a host or cluster`,
      "Write the target as vsphere://SERVER/DATACENTER/HOST-OR-CLUSTER (or .../CLUSTER/HOST).",
      "usage",
    );
  }
  const datacenter = await findDatacenter(client, dcName, request.signal);
  const { computeResource, host, members } = await findComputeTarget(
    client,
    datacenter,
    first,
    second,
    request.signal,
  );
  const label = [datacenter.name, first, ...(second ? [second] : [])].join("/");
  const notes: string[] = [];
  const datastore = await findTargetDatastore(client, {
    datacenter: datacenter.ref,
    reachable: host ? host.datastores : computeResource.datastores,
    name: request.datastore,
    label,
    ...(request.signal ? { signal: request.signal } : {}),
  });
  const chosenHost = await chooseHost(
    client,
    { computeResource, host, members },
    datastore.ref,
    label,
    notes,
  );
  if (!computeResource.resourcePool) {
    throw new PlacementError(
      `${label} has no resource pool to create a VM in`,
      "Check the host or cluster in the vSphere Client.",
      "target",
    );
  }
  return {
    datacenter,
    computeResource: {
      ref: computeResource.ref,
      name: computeResource.name,
      cluster: computeResource.cluster,
    },
    resourcePool: computeResource.resourcePool,
    host: chosenHost && { ref: chosenHost.ref, name: chosenHost.name },
    datastore,
    networks: computeResource.networks,
    label,
    notes,
  };
}

async function findDatacenter(
  client: VimClient,
  name: string,
  signal: AbortSignal | undefined,
): Promise<Placement["datacenter"] & { hostFolder: MoRef }> {
  const server = client.server;
  const all = await retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { Datacenter: ["name", "parent", "vmFolder", "hostFolder"] },
    recursive: true,
    signal,
  });
  const matches = all.filter((dc) => nameOf(dc) === name);
  const found = matches[0];
  if (!found) {
    throw new PlacementError(
      `no datacenter "${name}" on ${server}; its datacenters: ${listNames(all.map(nameOf))}`,
      "Give one of the datacenters listed (names are case-sensitive).",
    );
  }
  if (matches.length > 1) {
    throw new PlacementError(
      `${matches.length} datacenters are named "${name}" on ${server}`,
      "Rename one of them in the vSphere Client, then try again.",
      "target",
    );
  }
  const vmFolder = refOf(found, "vmFolder", server);
  const hostFolder = refOf(found, "hostFolder", server);
  if (!vmFolder || !hostFolder) {
    throw new PlacementError(
      `datacenter ${name} on ${server} has no VM or host folder the user can see`,
      `Check that ${client.username} may read the datacenter's folders.`,
      "target",
    );
  }
  const path = await inventoryPath(client, found, name);
  return { ref: found.obj, name, path, vmFolder, hostFolder };
}

/** A datacenter inside folders is addressed by its whole path in /folder URLs ("Europe/DC1"). */
async function inventoryPath(client: VimClient, dc: ObjectProperties, name: string): Promise<string> {
  const segments = [name];
  let parent = refOf(dc, "parent", client.server);
  const root = client.serviceContent.rootFolder;
  for (let depth = 0; parent && !sameMoRef(parent, root) && depth < 32; depth++) {
    const folder = await retrieveProperties(client, parent, ["name", "parent"]);
    segments.unshift(nameOf(folder));
    parent = refOf(folder, "parent", client.server);
  }
  return segments.join("/");
}

async function findComputeTarget(
  client: VimClient,
  datacenter: { name: string; hostFolder: MoRef },
  first: string,
  second: string | undefined,
  signal: AbortSignal | undefined,
): Promise<ComputeTarget> {
  const found = await retrieveFromContainer(client, {
    container: datacenter.hostFolder,
    types: {
      ComputeResource: ["name", "resourcePool", "host", "datastore", "network"],
      HostSystem: ["name", "parent", "runtime.connectionState", "runtime.inMaintenanceMode", "datastore"],
    },
    recursive: true,
    signal,
  });
  const server = client.server;
  const resources = found.filter((o) => o.obj.type !== "HostSystem").map((o) => computeState(o, server));
  const hosts = found.filter((o) => o.obj.type === "HostSystem").map((o) => hostState(o, server));
  const unknown = (what: string, names: string[]): PlacementError =>
    new PlacementError(
      `no ${what} on ${server}; ${datacenter.name} has: ${listNames(names)}`,
      "Give a cluster or host listed (names are case-sensitive).",
    );
  const membersOf = (r: ComputeResourceState): HostState[] => hosts.filter((h) => includes(r.hosts, h.ref));
  const everything = [...resources.filter((r) => r.cluster).map((r) => r.name), ...hosts.map((h) => h.name)];

  if (second !== undefined) {
    const cluster = resources.find((r) => r.cluster && r.name === first);
    if (!cluster) throw unknown(`cluster "${first}" in datacenter ${datacenter.name}`, everything);
    const host = hosts.find((h) => h.name === second && includes(cluster.hosts, h.ref));
    if (!host) {
      throw unknown(
        `host "${second}" in cluster ${first}`,
        membersOf(cluster).map((h) => h.name),
      );
    }
    return { computeResource: cluster, host, members: membersOf(cluster) };
  }
  const host = hosts.find((h) => h.name === first);
  if (host) {
    const parent = resources.find((r) => host.parent && sameMoRef(r.ref, host.parent));
    if (!parent) throw unknown(`compute resource holding host ${first}`, everything);
    return { computeResource: parent, host, members: membersOf(parent) };
  }
  const resource = resources.find((r) => r.name === first);
  if (!resource) throw unknown(`host or cluster "${first}" in datacenter ${datacenter.name}`, everything);
  // A standalone host's compute resource holds exactly that host: pin it, as for a named host.
  const only = !resource.cluster ? hosts.find((h) => includes(resource.hosts, h.ref)) : undefined;
  return { computeResource: resource, host: only, members: membersOf(resource) };
}

function computeState(o: ObjectProperties, server: string): ComputeResourceState {
  return {
    ref: o.obj,
    name: nameOf(o),
    cluster: o.obj.type === "ClusterComputeResource",
    resourcePool: refOf(o, "resourcePool", server),
    hosts: refsOf(o, "host", server),
    datastores: refsOf(o, "datastore", server),
    networks: refsOf(o, "network", server),
  };
}

function hostState(o: ObjectProperties, server: string): HostState {
  return {
    ref: o.obj,
    name: nameOf(o),
    parent: refOf(o, "parent", server),
    connectionState: o.props.get("runtime.connectionState")?.text ?? "unknown",
    inMaintenance: o.props.get("runtime.inMaintenanceMode")?.text === "true",
    datastores: refsOf(o, "datastore", server),
  };
}

function unusableReason(host: HostState): string | undefined {
  if (host.connectionState !== "connected") return `is ${host.connectionState}`;
  if (host.inMaintenance) return "is in maintenance mode";
  return undefined;
}

/**
 * The host to give CreateVM_Task. A named or standalone host must be usable. In a cluster, DRS
 * places the VM itself; without DRS vSphere needs a host, so the first usable one is taken.
 */
async function chooseHost(
  client: VimClient,
  { computeResource: resource, host, members: all }: ComputeTarget,
  datastore: MoRef,
  label: string,
  notes: string[],
): Promise<HostState | undefined> {
  if (host) {
    const reason = unusableReason(host);
    if (reason) {
      throw new PlacementError(
        `host ${host.name} ${reason}: a VM cannot be created on it`,
        "Reconnect the host or take it out of maintenance mode in the vSphere Client, or restore to another host.",
        "target",
      );
    }
    return host;
  }
  const members = all.filter((h) => includes(h.datastores, datastore));
  const usable = members.filter((h) => !unusableReason(h));
  if (usable.length === 0) {
    const states = members.map((h) => `${h.name} ${unusableReason(h) ?? ""}`.trim());
    throw new PlacementError(
      `no host of ${label} that reaches the datastore can take a VM: ${states.join("; ") || "none reaches it"}`,
      "Reconnect a host or take one out of maintenance mode, or restore to another host or cluster.",
      "target",
    );
  }
  if (await drsEnabled(client, resource.ref)) return undefined;
  const picked = [...usable].sort((a, b) => a.name.localeCompare(b.name))[0];
  if (picked) notes.push(`DRS is off in cluster ${resource.name}: the VM is placed on host ${picked.name}`);
  return picked;
}

async function drsEnabled(client: VimClient, cluster: MoRef): Promise<boolean> {
  if (cluster.type !== "ClusterComputeResource") return false;
  const { props } = await retrieveProperties(client, cluster, ["configurationEx"]);
  const config: XmlNode | undefined = props.get("configurationEx");
  return text(child(config, "drsConfig"), "enabled") === "true";
}
