/**
 * The "N:/path" syntax that names a file on a disk: "2:/etc/hosts" is /etc/hosts in partition 2;
 * without "N:", the disk's only partition. Paths are normalised ("/etc//x/" → "/etc/x") and may
 * never climb out with "..": what we extract must stay inside the folder the user chose.
 */
import { UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { PartitionInfo } from "./partition-table.js";

export interface DiskPath {
  /** The partition the user named, or undefined when they gave none. */
  partition: number | undefined;
  /** "/" for the root, otherwise "/a/b" with no trailing slash. */
  path: string;
}

export function parseDiskPath(input: string): DiskPath {
  const match = /^(\d+):(.*)$/s.exec(input);
  const partition = match ? Number(match[1]) : undefined;
  const rest = match ? (match[2] ?? "") : input;
  const parts: string[] = [];
  for (const part of rest.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") {
      throw new UsageError(
        `"${input}" climbs out with "..", which is not allowed`,
        'Give a path like "2:/etc/hosts".',
      );
    }
    if (part.includes("\0")) throw new UsageError(`"${input}" contains a NUL byte`);
    parts.push(part);
  }
  return { partition, path: "/" + parts.join("/") };
}

export function describePartitions(partitions: PartitionInfo[]): string {
  return partitions
    .map((p) => `${p.number}: ${p.name ? `${p.type} "${p.name}"` : p.type} ${formatBytes(p.size)}`)
    .join(", ");
}

/** The partition a path refers to; a UsageError naming the partitions when it is ambiguous or wrong. */
export function pickPartition(
  wanted: number | undefined,
  partitions: PartitionInfo[],
  example = "/etc",
): PartitionInfo {
  const first = partitions[0];
  if (wanted === undefined) {
    if (partitions.length === 1 && first) return first;
    if (!first) throw new UsageError("this disk has no partitions", "Pick another disk with --disk N.");
    throw new UsageError(
      `this disk has ${partitions.length} partitions: give the path as ${first.number}:${example} ` +
        `(${describePartitions(partitions)})`,
      "Start the path with the partition number and a colon.",
    );
  }
  const found = partitions.find((p) => p.number === wanted);
  if (!found) {
    throw new UsageError(
      `this disk has no partition ${wanted}; its partitions are ${describePartitions(partitions)}`,
      "Start the path with one of those partition numbers and a colon.",
    );
  }
  return found;
}

/** "2:/etc/hosts" for messages; without the number on a disk that has one partition. */
export function showPath(partition: PartitionInfo, path: string, count: number): string {
  return count > 1 ? `${partition.number}:${path}` : path;
}
