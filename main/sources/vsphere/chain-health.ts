/**
 * Snapshot-chain health of a VM, as pure functions over its snapshot tree. Each snapshot between
 * the root and the one the VM runs on is a delta disk every read may traverse, so deep chains are
 * slow, and vSphere refuses a 33rd level. Old snapshots keep growing until they are deleted
 * (VMware KB 1025279). The inventory shows these; the backup engine refuses a blocked chain.
 */
import { SnapferryError } from "../../common/errors.js";

/** VMware advises no more than 2 or 3 levels (KB 1025279). */
export const CHAIN_WARN_DEPTH = 3;
/** vSphere's hard limit on a chain. */
export const CHAIN_MAX_DEPTH = 32;
/** A backup adds its own snapshot, so a chain this deep cannot take one more. */
export const CHAIN_BLOCK_DEPTH = CHAIN_MAX_DEPTH - 1;
export const SNAPSHOT_MAX_AGE_MS = 72 * 3600_000;

export interface SnapshotTreeNode {
  name: string;
  /** The snapshot's managed object reference, e.g. "snapshot-42": how currentSnapshot names it. */
  snapshot: string;
  /** vSphere's numeric snapshot id, when known. */
  id?: number;
  createTime: Date;
  children: readonly SnapshotTreeNode[];
}

export interface VmSnapshots {
  /** The VM's name, for messages. */
  vm: string;
  rootSnapshots: readonly SnapshotTreeNode[];
  /** snapshot.currentSnapshot: the moref of the snapshot the VM runs on; unset without snapshots. */
  currentSnapshot?: string;
}

export interface SnapshotHealth {
  name: string;
  snapshot: string;
  id?: number;
  createTime: Date;
  /** 1 for a root snapshot: the number of delta disks this snapshot's state sits on. */
  depth: number;
  ageMs: number;
  tooOld: boolean;
  /** The VM runs on this snapshot. */
  current: boolean;
  /** Between a root and the current snapshot: part of the chain the running VM reads through. */
  onCurrentChain: boolean;
  children: SnapshotHealth[];
}

export type ChainWarningKind = "deep-chain" | "old-snapshots" | "current-unknown";

export interface ChainWarning {
  kind: ChainWarningKind;
  message: string;
  /** The names of the snapshots concerned. */
  snapshots: string[];
}

export type ChainStatus = "ok" | "warning" | "blocked";

export interface ChainHealth {
  status: ChainStatus;
  /** Delta disks under the running VM: the depth of the current snapshot, 0 without snapshots. */
  depth: number;
  snapshotCount: number;
  oldest?: { name: string; ageMs: number };
  snapshots: SnapshotHealth[];
  warnings: ChainWarning[];
  /** Why a backup of this VM is refused, when it is. */
  blocked?: string;
  /** One line for a list or a tooltip. */
  summary: string;
}

/** The health of one VM's snapshot chain at `now` (a parameter, so results are reproducible). */
export function chainHealth(vm: VmSnapshots, now: Date): ChainHealth {
  const current = vm.currentSnapshot;
  const path = current === undefined ? undefined : pathTo(vm.rootSnapshots, current);
  const snapshots = vm.rootSnapshots.map((node) => describe(node, { vm: vm.vm, now, depth: 1, path }));
  const all = flatten(snapshots);
  const depth = path ? path.length : deepest(all);
  const warnings = collectWarnings(vm, all, depth, path !== undefined);
  const blocked = depth >= CHAIN_BLOCK_DEPTH ? blockedMessage(vm.vm, depth) : undefined;
  const oldest = oldestOf(all);
  const status: ChainStatus = blocked ? "blocked" : warnings.length > 0 ? "warning" : "ok";
  const health: ChainHealth = { status, depth, snapshotCount: all.length, snapshots, warnings, summary: "" };
  if (oldest) health.oldest = oldest;
  if (blocked) health.blocked = blocked;
  health.summary = summarize(health);
  return health;
}

/** The morefs from a root down to `target`, or undefined when the tree does not hold it. */
function pathTo(nodes: readonly SnapshotTreeNode[], target: string): string[] | undefined {
  for (const node of nodes) {
    if (node.snapshot === target) return [node.snapshot];
    const below = pathTo(node.children, target);
    if (below) return [node.snapshot, ...below];
  }
  return undefined;
}

interface WalkContext {
  vm: string;
  now: Date;
  depth: number;
  path: string[] | undefined;
}

function describe(node: SnapshotTreeNode, context: WalkContext): SnapshotHealth {
  const created = node.createTime.getTime();
  if (Number.isNaN(created)) {
    throw new SnapferryError(
      "vsphere-protocol",
      `the server gave no valid creation time for snapshot "${node.name}" of VM ${context.vm}`,
    );
  }
  // A host clock ahead of ours would give a negative age; call such a snapshot new, not invalid.
  const ageMs = Math.max(0, context.now.getTime() - created);
  const child = { ...context, depth: context.depth + 1 };
  const health: SnapshotHealth = {
    name: node.name,
    snapshot: node.snapshot,
    createTime: node.createTime,
    depth: context.depth,
    ageMs,
    tooOld: ageMs > SNAPSHOT_MAX_AGE_MS,
    current: context.path?.at(-1) === node.snapshot,
    onCurrentChain: context.path?.[context.depth - 1] === node.snapshot,
    children: node.children.map((c) => describe(c, child)),
  };
  if (node.id !== undefined) health.id = node.id;
  return health;
}

function flatten(nodes: readonly SnapshotHealth[]): SnapshotHealth[] {
  return nodes.flatMap((node) => [node, ...flatten(node.children)]);
}

function deepest(all: readonly SnapshotHealth[]): number {
  return all.reduce((max, node) => Math.max(max, node.depth), 0);
}

function oldestOf(all: readonly SnapshotHealth[]): { name: string; ageMs: number } | undefined {
  const oldest = all.reduce<SnapshotHealth | undefined>(
    (a, b) => (a && a.ageMs >= b.ageMs ? a : b),
    undefined,
  );
  return oldest && { name: oldest.name, ageMs: oldest.ageMs };
}

function collectWarnings(
  vm: VmSnapshots,
  all: readonly SnapshotHealth[],
  depth: number,
  currentFound: boolean,
): ChainWarning[] {
  const warnings: ChainWarning[] = [];
  if (!currentFound && all.length > 0) warnings.push(currentUnknownWarning(vm, depth));
  if (depth >= CHAIN_WARN_DEPTH && depth < CHAIN_BLOCK_DEPTH) {
    const chain = all.filter((n) => n.onCurrentChain).map((n) => n.name);
    warnings.push({ kind: "deep-chain", message: deepChainMessage(depth), snapshots: chain });
  }
  const old = all.filter((n) => n.tooOld).sort((a, b) => b.ageMs - a.ageMs);
  if (old.length > 0)
    warnings.push({ kind: "old-snapshots", message: oldMessage(old), snapshots: old.map((n) => n.name) });
  return warnings;
}

function currentUnknownWarning(vm: VmSnapshots, depth: number): ChainWarning {
  const said = vm.currentSnapshot === undefined ? "did not say" : "named a snapshot missing from the tree as";
  return {
    kind: "current-unknown",
    message: `vSphere ${said} the snapshot VM ${vm.vm} runs on; the depth shown (${depth}) is that of the deepest branch.`,
    snapshots: [],
  };
}

function deepChainMessage(depth: number): string {
  return (
    `The VM runs on a chain of ${depth} snapshots. VMware advises no more than 2 or 3 (KB 1025279): ` +
    `every level slows disk access, and a long chain takes long to consolidate. Delete the snapshots you no longer need.`
  );
}

function oldMessage(old: readonly SnapshotHealth[]): string {
  const [first] = old;
  const what =
    old.length === 1
      ? `Snapshot "${first?.name}" is ${formatAge(first?.ageMs ?? 0)} old`
      : `${old.length} snapshots are older than 72 hours (the oldest, "${first?.name}", is ${formatAge(first?.ageMs ?? 0)} old)`;
  return (
    `${what}. A snapshot's delta disk grows with every write until it is deleted, filling the datastore ` +
    `and slowing the VM (VMware KB 1025279). Delete snapshots once they are no longer needed; a snapshot is not a backup.`
  );
}

function blockedMessage(vm: string, depth: number): string {
  return (
    `Backups of VM ${vm} are blocked: its snapshot chain is ${depth} deep, and the backup's own snapshot ` +
    `would take it to vSphere's limit of ${CHAIN_MAX_DEPTH}. Delete or consolidate snapshots ` +
    `(Snapshot Manager in the vSphere Client), then back up again.`
  );
}

function summarize(health: ChainHealth): string {
  if (health.snapshotCount === 0) return "no snapshots";
  const count = health.snapshotCount === 1 ? "1 snapshot" : `${health.snapshotCount} snapshots`;
  const oldest = health.oldest ? `, oldest ${formatAge(health.oldest.ageMs)}` : "";
  const state =
    health.status === "blocked" ? ": backup blocked" : health.status === "warning" ? ": warning" : "";
  return `${count}, chain depth ${health.depth}${oldest}${state}`;
}

/** An age in the largest unit that reads naturally: "45 minutes", "30 hours", "12 days". */
export function formatAge(ms: number): string {
  const minutes = Math.floor(ms / 60_000);
  if (minutes < 1) return "less than a minute";
  if (minutes < 60) return plural(minutes, "minute");
  const hours = Math.floor(minutes / 60);
  if (hours < 48) return plural(hours, "hour");
  return plural(Math.floor(hours / 24), "day");
}

function plural(n: number, unit: string): string {
  return `${n} ${unit}${n === 1 ? "" : "s"}`;
}
