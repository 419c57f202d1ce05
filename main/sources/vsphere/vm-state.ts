/**
 * What a backup must know about a VM before it takes a snapshot, read in one PropertyCollector
 * call: identity, hardware, where it runs and stores its files, VMware Tools, CBT and the snapshot
 * tree (with each snapshot's description, where Snapferry records which job made it).
 */
import { SnapferryError } from "../../common/errors.js";
import type { SnapshotTreeNode } from "./chain-health.js";
import { parseMoRef, parseMoRefs, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import { child, children, text, type XmlNode } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";

export interface SnapshotNode extends SnapshotTreeNode {
  ref: MoRef;
  description: string;
  quiesced: boolean;
  children: SnapshotNode[];
}

export interface VmState {
  ref: MoRef;
  name: string;
  instanceUuid: string;
  guestId: string;
  numCPUs: number;
  memoryMB: number;
  firmware: "bios" | "efi";
  powerState: string;
  changeTrackingEnabled: boolean;
  /** "[datastore] folder/vm.vmx". */
  vmxPath: string | undefined;
  host: MoRef | undefined;
  datastores: MoRef[];
  networks: MoRef[];
  toolsRunning: boolean;
  devices: XmlNode | undefined;
  rootSnapshots: SnapshotNode[];
  currentSnapshot: MoRef | undefined;
}

const VM_PATHS = [
  "name",
  "config.instanceUuid",
  "config.guestId",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.firmware",
  "config.hardware.device",
  "config.changeTrackingEnabled",
  "config.files.vmPathName",
  "runtime.host",
  "runtime.powerState",
  "datastore",
  "network",
  "guest.toolsRunningStatus",
  "snapshot",
] as const;

export async function readVmState(client: VimClient, ref: MoRef, signal?: AbortSignal): Promise<VmState> {
  const { props, missing } = await retrieveProperties(client, ref, VM_PATHS, signal ? { signal } : {});
  const failed = missing.find((m) => m.path !== "snapshot" && m.path !== "guest.toolsRunningStatus");
  if (failed) throw failed.fault;
  const value = (path: string): string | undefined => props.get(path)?.text;
  const name = value("name") ?? ref.value;
  const instanceUuid = value("config.instanceUuid");
  if (!instanceUuid) {
    throw new SnapferryError(
      "vsphere-protocol",
      `VM ${name} on ${client.server} has no instance UUID`,
      "The VM's configuration may be unreadable (an orphaned or inaccessible VM); check it in the vSphere Client.",
    );
  }
  const host = props.get("runtime.host");
  const snapshot = props.get("snapshot");
  const current = child(snapshot, "currentSnapshot");
  return {
    ref,
    name,
    instanceUuid,
    guestId: value("config.guestId") ?? "otherGuest64",
    numCPUs: Number(value("config.hardware.numCPU") ?? "1") || 1,
    memoryMB: Number(value("config.hardware.memoryMB") ?? "1024") || 1024,
    firmware: value("config.firmware") === "efi" ? "efi" : "bios",
    powerState: value("runtime.powerState") ?? "unknown",
    changeTrackingEnabled: value("config.changeTrackingEnabled") === "true",
    vmxPath: value("config.files.vmPathName") || undefined,
    host: host ? parseMoRef(host, client.server) : undefined,
    datastores: parseMoRefs(props.get("datastore"), client.server),
    networks: parseMoRefs(props.get("network"), client.server),
    toolsRunning: value("guest.toolsRunningStatus") === "guestToolsRunning",
    devices: props.get("config.hardware.device"),
    rootSnapshots: parseSnapshotTree(children(snapshot, "rootSnapshotList"), client.server),
    currentSnapshot: current ? parseMoRef(current, client.server) : undefined,
  };
}

/** VirtualMachineSnapshotTree elements (rootSnapshotList) as nodes. */
export function parseSnapshotTree(nodes: readonly XmlNode[], server: string): SnapshotNode[] {
  return nodes.map((n) => parseSnapshotNode(n, server));
}

function parseSnapshotNode(node: XmlNode, server: string): SnapshotNode {
  const snapshotRef = child(node, "snapshot");
  const ref = snapshotRef ? parseMoRef(snapshotRef, server) : { type: "VirtualMachineSnapshot", value: "" };
  const id = Number(text(node, "id"));
  return {
    ref,
    snapshot: ref.value,
    name: text(node, "name") ?? "",
    description: text(node, "description") ?? "",
    ...(Number.isSafeInteger(id) && text(node, "id") !== undefined ? { id } : {}),
    createTime: new Date(text(node, "createTime") ?? ""),
    quiesced: text(node, "quiesced") === "true",
    children: children(node, "childSnapshotList").map((c) => parseSnapshotNode(c, server)),
  };
}

/** Every snapshot of the tree, parents before children. */
export function allSnapshots(nodes: readonly SnapshotNode[]): SnapshotNode[] {
  return nodes.flatMap((n) => [n, ...allSnapshots(n.children)]);
}
