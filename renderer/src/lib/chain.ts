/**
 * What the inventory says about a VM's snapshot chain: a level for the badge and the reason in
 * words for its tooltip. vSphere VMs arrive with main's chain health (chain-health.ts) and we keep
 * its verdict and wording; local VM folders only report each disk's chain length, so the same
 * thresholds are applied here.
 */
import type { ChainHealthSummary } from "../../../main/sources/vsphere/snapshot-tree";

/** VMware advises no more than 2 or 3 levels (KB 1025279). */
export const CHAIN_WARN_DEPTH = 3;
/** A backup adds its own snapshot, and vSphere refuses a 33rd level. */
export const CHAIN_BLOCK_DEPTH = 31;
export const SNAPSHOT_MAX_AGE_HOURS = 72;

export type ChainLevel = "ok" | "warning" | "blocked";

export interface ChainView {
  level: ChainLevel;
  /** Snapshots under the running VM. */
  depth: number;
  /** One line for the row. */
  summary: string;
  /** Why the badge shows, in full; empty when all is well. */
  reason: string;
}

export function chainFromHealth(health: ChainHealthSummary): ChainView {
  const reason =
    health.status === "blocked"
      ? (health.blocked ?? health.summary)
      : health.warnings.map((w) => w.message).join(" ");
  return { level: health.status, depth: health.depth, summary: health.summary, reason };
}

/** `layers` as local VM folders count them: 1 for a disk without snapshots. */
export function chainFromLayers(layers: number): ChainView {
  const depth = Math.max(0, layers - 1);
  const summary = depth === 0 ? "no snapshots" : `chain depth ${depth}`;
  if (depth >= CHAIN_BLOCK_DEPTH) {
    return {
      level: "blocked",
      depth,
      summary: `${summary}: backup blocked`,
      reason:
        `Backups are blocked: the snapshot chain is ${depth} deep, and the backup's own snapshot would ` +
        `reach the limit of 32. Delete or consolidate snapshots, then back up again.`,
    };
  }
  if (depth >= CHAIN_WARN_DEPTH) {
    return {
      level: "warning",
      depth,
      summary: `${summary}: warning`,
      reason:
        `The VM runs on a chain of ${depth} snapshots. VMware advises no more than 2 or 3 (KB 1025279): ` +
        `every level slows disk access. Delete the snapshots you no longer need.`,
    };
  }
  return { level: "ok", depth, summary, reason: "" };
}
