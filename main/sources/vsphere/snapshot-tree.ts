/**
 * A VM's snapshot tree (its `snapshot` property, a VirtualMachineSnapshotInfo), read the same way
 * for the inventory, the backup's pre-checks and the removal of leftover backup snapshots: each
 * node with what vSphere says of it (description, quiesced, the power state it captured), and for
 * the inventory merged with what chain-health.ts computes (depth, age, whether the running VM
 * reads through it).
 */
import { chainHealth, type ChainHealth, type SnapshotHealth, type SnapshotTreeNode } from "./chain-health.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { child, children, requireChild, type XmlNode } from "./soap-xml.js";
import { booleanOf, dateOf, numberOf, textOf } from "./vim-values.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

export interface SnapshotNode extends SnapshotTreeNode {
  /** What RemoveSnapshot_Task takes; `snapshot` is its value, by which chain health knows the node. */
  ref: MoRef;
  /** Snapferry records the job that made a backup snapshot here (snapshot-owner.ts). */
  description: string;
  /** Taken with the guest's file systems quiesced (application-consistent) by VMware Tools. */
  quiesced: boolean;
  /** The VM's power state the snapshot captured. */
  state: string | undefined;
  children: SnapshotNode[];
}

export interface VmSnapshotInfo {
  rootSnapshots: SnapshotNode[];
  /** The snapshot the VM runs on; undefined without snapshots. */
  currentSnapshot: MoRef | undefined;
}

export interface VmSnapshot extends Omit<SnapshotHealth, "children"> {
  description: string;
  quiesced: boolean;
  state: string | undefined;
  children: VmSnapshot[];
}

/** Chain health without its own copy of the tree (VmDetails.snapshots carries the merged one). */
export type ChainHealthSummary = Omit<ChainHealth, "snapshots">;

/**
 * Reads the `snapshot` property (undefined for a VM without snapshots). A node without a valid
 * creation time is a malformed answer: its age, and so the chain's health and whether a leftover
 * backup snapshot may be removed, could not be known.
 */
export function readSnapshotInfo(value: XmlNode | undefined, vm: string, server: string): VmSnapshotInfo {
  const current = child(value, "currentSnapshot");
  return {
    rootSnapshots: children(value, "rootSnapshotList").map((n) => readNode(n, vm, server)),
    currentSnapshot: current ? parseMoRef(current, server) : undefined,
  };
}

function readNode(node: XmlNode, vm: string, server: string): SnapshotNode {
  const name = textOf(node, "name") ?? "";
  const createTime = dateOf(node, "createTime");
  if (!createTime) {
    throw new VsphereProtocolError(
      `malformed answer from ${server}: snapshot "${name}" of VM ${vm} has no valid creation time`,
    );
  }
  const ref = parseMoRef(requireChild(node, "snapshot", server), server);
  const read: SnapshotNode = {
    name,
    ref,
    snapshot: ref.value,
    createTime,
    description: textOf(node, "description") ?? "",
    quiesced: booleanOf(node, "quiesced") ?? false,
    state: textOf(node, "state"),
    children: children(node, "childSnapshotList").map((c) => readNode(c, vm, server)),
  };
  const id = numberOf(node, "id");
  if (id !== undefined) read.id = id;
  return read;
}

/** Every snapshot of the tree, parents before children. */
export function allSnapshots(nodes: readonly SnapshotNode[]): SnapshotNode[] {
  return nodes.flatMap((n) => [n, ...allSnapshots(n.children)]);
}

/** Chain health at `now` of a tree as read. */
export function healthOf(vm: string, info: VmSnapshotInfo, now: Date): ChainHealth {
  return chainHealth(
    {
      vm,
      rootSnapshots: info.rootSnapshots,
      ...(info.currentSnapshot ? { currentSnapshot: info.currentSnapshot.value } : {}),
    },
    now,
  );
}

/** The tree with each node's health, and the chain's health, at `now`. */
export function snapshotsWithHealth(
  vm: string,
  info: VmSnapshotInfo,
  now: Date,
): { snapshots: VmSnapshot[]; chainHealth: ChainHealthSummary } {
  const { snapshots, ...summary } = healthOf(vm, info, now);
  return { snapshots: merge(info.rootSnapshots, snapshots), chainHealth: summary };
}

/** chainHealth keeps the tree's order, so the two trees line up node for node. */
function merge(read: readonly SnapshotNode[], health: readonly SnapshotHealth[]): VmSnapshot[] {
  return health.map((h, i) => {
    const node = read[i];
    return {
      ...h,
      description: node?.description ?? "",
      quiesced: node?.quiesced ?? false,
      state: node?.state,
      children: merge(node?.children ?? [], h.children),
    };
  });
}

/** The snapshot whose moref value is `ref`, anywhere in the tree. */
export function findSnapshot(nodes: readonly VmSnapshot[], ref: string): VmSnapshot | undefined {
  for (const node of nodes) {
    if (node.snapshot === ref) return node;
    const below = findSnapshot(node.children, ref);
    if (below) return below;
  }
  return undefined;
}
