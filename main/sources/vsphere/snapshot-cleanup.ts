/**
 * Removing backup snapshots left behind by jobs that died (a killed process, a crashed app, a
 * machine that lost power). Run before each job, and by the app at start for every VM. A snapshot
 * is only removed when its job is certainly gone: on this host, its process no longer runs; from
 * another host, it is more than a day old. Everything removed or left alone is said in a note.
 */
import { retrieveFromContainer } from "./property-collector.js";
import { removeBackupSnapshot, type SnapshotVm } from "./snapshot-engine.js";
import {
  defaultVerdictContext,
  isBackupSnapshotName,
  judgeOwner,
  type VerdictContext,
} from "./snapshot-owner.js";
import { allSnapshots, readSnapshotInfo, type SnapshotNode } from "./snapshot-tree.js";
import type { VimClient } from "./vim-client.js";

export interface CleanupOptions {
  note: (text: string) => void;
  now?: Date;
  /** Defaults: this machine's host name, and whether a pid runs here. */
  host?: string;
  isAlive?: (pid: number) => boolean;
}

export interface CleanupResult {
  vm: string;
  removed: string[];
  /** Backup snapshots of jobs that still run (here, or possibly on another host). */
  kept: { name: string; why: string; running: boolean }[];
  /** Orphans whose removal failed: the VM still has them. */
  failed: string[];
}

function context(options: CleanupOptions): VerdictContext {
  const defaults = defaultVerdictContext();
  return {
    ...defaults,
    ...(options.host !== undefined ? { host: options.host } : {}),
    ...(options.now ? { now: options.now } : {}),
    ...(options.isAlive ? { isAlive: options.isAlive } : {}),
  };
}

/** Cleans one VM's snapshot tree (as just read); leaves every snapshot not named snapferry-*. */
export async function cleanupOrphanSnapshots(
  client: VimClient,
  vm: SnapshotVm,
  tree: readonly SnapshotNode[],
  options: CleanupOptions,
): Promise<CleanupResult> {
  const ctx = context(options);
  const result: CleanupResult = { vm: vm.name, removed: [], kept: [], failed: [] };
  // Children first: removing a parent first would make vSphere fold it into the child.
  const candidates = allSnapshots(tree)
    .filter((s) => isBackupSnapshotName(s.name))
    .reverse();
  for (const snapshot of candidates) {
    const verdict = judgeOwner(snapshot.description, snapshot.createTime, ctx);
    if (!verdict.orphan) {
      result.kept.push({ name: snapshot.name, why: verdict.why, running: verdict.running });
      options.note(`left the backup snapshot ${snapshot.name} on VM ${vm.name} alone: ${verdict.why}`);
      continue;
    }
    try {
      await removeBackupSnapshot(client, vm, { ref: snapshot.ref, name: snapshot.name });
      result.removed.push(snapshot.name);
      options.note(`removed the leftover backup snapshot ${snapshot.name} of VM ${vm.name}: ${verdict.why}`);
    } catch (err) {
      result.failed.push(snapshot.name);
      const why = err instanceof Error ? err.message : String(err);
      options.note(`WARNING: could not remove the leftover backup snapshot of VM ${vm.name}: ${why}`);
    }
  }
  return result;
}

/** Cleans every VM of the site; for the app's start. One collector call finds the snapshots. */
export async function cleanupAllOrphanSnapshots(
  client: VimClient,
  options: CleanupOptions,
): Promise<CleanupResult[]> {
  const found = await retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { VirtualMachine: ["name", "snapshot"] },
    recursive: true,
  });
  const results: CleanupResult[] = [];
  for (const o of found) {
    const vm = { ref: o.obj, name: o.props.get("name")?.text ?? o.obj.value };
    let tree: SnapshotNode[];
    try {
      tree = readSnapshotInfo(o.props.get("snapshot"), vm.name, client.server).rootSnapshots;
    } catch (err) {
      // One VM's unreadable tree must not keep the others' leftovers in place.
      const why = err instanceof Error ? err.message : String(err);
      options.note(`WARNING: the snapshots of VM ${vm.name} were not checked: ${why}`);
      continue;
    }
    if (!allSnapshots(tree).some((s) => isBackupSnapshotName(s.name))) continue;
    results.push(await cleanupOrphanSnapshots(client, vm, tree, options));
  }
  return results;
}
