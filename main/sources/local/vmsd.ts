/**
 * A VMware .vmsd file: the VM's snapshot tree. Each `snapshotN.*` group is one snapshot that
 * names its parent by uid; `snapshot.current` is the snapshot the running state sits on.
 */
import { parseVmxDictionary, type VmxDictionary } from "./vmx-dictionary.js";

export interface SnapshotDisk {
  /** e.g. "scsi0:0". */
  node: string;
  /** The disk file frozen by this snapshot, as the .vmsd spells it. */
  fileName: string;
}

export interface SnapshotNode {
  uid: number;
  name: string;
  description: string;
  /** ISO 8601, or undefined when the .vmsd has no creation time. */
  time: string | undefined;
  parentUid: number | undefined;
  /** 1 for a snapshot without parent, 2 for its children, …: how many snapshots lie on its branch. */
  depth: number;
  disks: SnapshotDisk[];
  children: SnapshotNode[];
}

export interface SnapshotTree {
  roots: SnapshotNode[];
  /** Every snapshot, in the .vmsd's order. */
  nodes: SnapshotNode[];
  currentUid: number | undefined;
  /** The depth of the current snapshot: the number of snapshots the VM's disks sit on. */
  currentDepth: number;
}

export function emptySnapshotTree(): SnapshotTree {
  return { roots: [], nodes: [], currentUid: undefined, currentDepth: 0 };
}

/** VMware stores microseconds since 1970 as two signed 32-bit halves. */
function createTime(dict: VmxDictionary, prefix: string): string | undefined {
  const high = dict.int(`${prefix}.createTimeHigh`);
  const low = dict.int(`${prefix}.createTimeLow`);
  if (high === undefined || low === undefined) return undefined;
  const micros = high * 2 ** 32 + (low >>> 0);
  const date = new Date(micros / 1000);
  return Number.isNaN(date.getTime()) ? undefined : date.toISOString();
}

function snapshotDisks(dict: VmxDictionary, prefix: string): SnapshotDisk[] {
  const disks: SnapshotDisk[] = [];
  const pattern = new RegExp(`^${prefix}\\.disk(\\d+)\\.filename$`);
  for (const key of dict.keys()) {
    const m = pattern.exec(key);
    if (!m) continue;
    const fileName = dict.get(key) ?? "";
    disks.push({ node: dict.get(`${prefix}.disk${m[1] ?? ""}.node`) ?? "", fileName });
  }
  return disks.sort((a, b) => a.node.localeCompare(b.node));
}

function readNodes(dict: VmxDictionary): SnapshotNode[] {
  const nodes: SnapshotNode[] = [];
  const indexes = new Set<number>();
  for (const key of dict.keys()) {
    const m = /^snapshot(\d+)\.uid$/.exec(key);
    if (m) indexes.add(Number(m[1]));
  }
  for (const index of [...indexes].sort((a, b) => a - b)) {
    const prefix = `snapshot${index}`;
    const uid = dict.int(`${prefix}.uid`);
    if (uid === undefined) continue;
    nodes.push({
      uid,
      name: dict.get(`${prefix}.displayName`) ?? `Snapshot ${uid}`,
      description: dict.get(`${prefix}.description`) ?? "",
      time: createTime(dict, prefix),
      parentUid: dict.int(`${prefix}.parent`),
      depth: 0,
      disks: snapshotDisks(dict, prefix),
      children: [],
    });
  }
  return nodes;
}

function assignDepths(roots: SnapshotNode[]): void {
  const pending = roots.map((node) => ({ node, depth: 1 }));
  for (let item = pending.pop(); item; item = pending.pop()) {
    item.node.depth = item.depth;
    for (const child of item.node.children) pending.push({ node: child, depth: item.depth + 1 });
  }
}

/** Links nodes to their parents; a parent that is missing or part of a loop makes its child a root. */
function buildTree(nodes: SnapshotNode[]): SnapshotNode[] {
  const byUid = new Map(nodes.map((n) => [n.uid, n]));
  const roots: SnapshotNode[] = [];
  for (const node of nodes) {
    const parent = node.parentUid === undefined ? undefined : byUid.get(node.parentUid);
    if (parent && parent !== node) parent.children.push(node);
    else roots.push(node);
  }
  assignDepths(roots);
  // A damaged .vmsd can make snapshots each other's parents; such a loop is never reached from a
  // root, so its first member is cut from its parent and listed as a root.
  for (const node of nodes) {
    if (node.depth !== 0) continue;
    const parent = node.parentUid === undefined ? undefined : byUid.get(node.parentUid);
    if (parent) parent.children = parent.children.filter((c) => c !== node);
    roots.push(node);
    assignDepths([node]);
  }
  return roots;
}

export function parseVmsd(data: Buffer | string, what: string): SnapshotTree {
  const dict = parseVmxDictionary(data, what);
  const nodes = readNodes(dict);
  const roots = buildTree(nodes);
  const currentUid = dict.int("snapshot.current");
  const current = nodes.find((n) => n.uid === currentUid);
  return { roots, nodes, currentUid: current?.uid, currentDepth: current?.depth ?? 0 };
}
