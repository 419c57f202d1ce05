/**
 * A VM's snapshot tree (its `snapshot` property, a VirtualMachineSnapshotInfo) and its chain health:
 * each node with what vSphere says of it (quiesced, the power state it captured) and what
 * chain-health.ts computes (depth, age, whether the running VM reads through it).
 */
import { chainHealth, type ChainHealth, type SnapshotHealth, type SnapshotTreeNode } from "./chain-health.js";
import { children, requireText, type XmlNode } from "./soap-xml.js";
import { booleanOf, dateOf, numberOf, textOf } from "./inventory-values.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

export interface VmSnapshotTreeNode extends SnapshotTreeNode {
  description: string;
  /** Taken with the guest's file systems quiesced (application-consistent) by VMware Tools. */
  quiesced: boolean;
  /** The VM's power state the snapshot captured. */
  state: string | undefined;
  children: VmSnapshotTreeNode[];
}

export interface VmSnapshotInfo {
  rootSnapshots: VmSnapshotTreeNode[];
  /** The moref value of the snapshot the VM runs on. */
  currentSnapshot: string | undefined;
}

export interface VmSnapshot extends Omit<SnapshotHealth, "children"> {
  description: string;
  quiesced: boolean;
  state: string | undefined;
  children: VmSnapshot[];
}

/** Chain health without its own copy of the tree (VmDetails.snapshots carries the merged one). */
export type ChainHealthSummary = Omit<ChainHealth, "snapshots">;

/** Reads the `snapshot` property; a VM without snapshots has none (undefined). */
export function readSnapshotInfo(value: XmlNode | undefined, vm: string, server: string): VmSnapshotInfo {
  return {
    rootSnapshots: children(value, "rootSnapshotList").map((n) => readNode(n, vm, server)),
    currentSnapshot: textOf(value, "currentSnapshot") || undefined,
  };
}

function readNode(node: XmlNode, vm: string, server: string): VmSnapshotTreeNode {
  const name = textOf(node, "name") ?? "";
  const createTime = dateOf(node, "createTime");
  if (!createTime) {
    throw new VsphereProtocolError(
      `malformed answer from ${server}: snapshot "${name}" of VM ${vm} has no valid creation time`,
    );
  }
  const read: VmSnapshotTreeNode = {
    name,
    snapshot: requireText(node, "snapshot", server),
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

/** The tree with each node's health, and the chain's health, at `now`. */
export function snapshotsWithHealth(
  vm: string,
  info: VmSnapshotInfo,
  now: Date,
): { snapshots: VmSnapshot[]; chainHealth: ChainHealthSummary } {
  const health = chainHealth(
    { vm, rootSnapshots: info.rootSnapshots, currentSnapshot: info.currentSnapshot },
    now,
  );
  const { snapshots, ...summary } = health;
  return { snapshots: merge(info.rootSnapshots, snapshots), chainHealth: summary };
}

/** chainHealth keeps the tree's order, so the two trees line up node for node. */
function merge(read: readonly VmSnapshotTreeNode[], health: readonly SnapshotHealth[]): VmSnapshot[] {
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
