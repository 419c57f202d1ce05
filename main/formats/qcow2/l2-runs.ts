/**
 * Runs of standard (64-bit) L2 entries that read alike, decoded straight from the table. A GiB
 * of guest disk is 16384 clusters of 64 KiB: decoding them one by one into part lists (an array
 * and an object per cluster) cost, in the read benchmark, a sizeable fraction of the time spent
 * copying the data, mostly in garbage collection and cold (not yet optimised) code.
 *
 * Only the common entries are handled here: data, zero and unallocated clusters of an image
 * without extended L2 entries. Anything else (compressed clusters, subclusters, and entries that
 * are invalid) comes back as a one-cluster "other" run for clusterParts, which decodes it fully
 * and throws the error that names what is wrong.
 */
import { COMPRESSED_BIT, ZERO_BIT, type ClusterContext } from "./clusters.js";
import { entryOffset } from "./tables.js";

export interface L2Run {
  kind: "data" | "zero" | "backing" | "other";
  /** Entries in the run (at least 1). */
  count: number;
  /** For data: the file offset of the run's first cluster. */
  host: number;
}

/** classify()'s answers besides a data cluster's file offset (which is always positive). */
const OTHER = -1;
const BACKING = -2;
const ZERO = -3;

function classify(ctx: ClusterContext, table: Buffer, index: number): number {
  const at = index * 8;
  const high = table.readUInt32BE(at);
  const low = table.readUInt32BE(at + 4);
  if (high & COMPRESSED_BIT) return OTHER;
  // Version 2 has no zero flag: clusterParts reports the entry as damaged.
  if (low & ZERO_BIT) return ctx.header.version === 2 ? OTHER : ZERO;
  const host = entryOffset(high, low);
  if (host === 0) return BACKING;
  if (host % ctx.header.clusterSize !== 0 || host >= ctx.fileSize) return OTHER;
  return host;
}

/**
 * The run of entries [first, first + count) of `table` (undefined: an unallocated L2 table), with
 * first + count <= limit, that all read the same way. Data clusters join a run only where each
 * follows the previous one in the file when `contiguous` (so one read serves the run), and
 * whatever their file offsets otherwise (for the allocation map).
 */
export function l2Run(
  ctx: ClusterContext,
  table: Buffer | undefined,
  first: number,
  limit: number,
  contiguous: boolean,
): L2Run {
  if (!table) return { kind: "backing", count: limit - first, host: 0 };
  if (ctx.header.extendedL2) return { kind: "other", count: 1, host: 0 };
  const code = classify(ctx, table, first);
  if (code === OTHER) return { kind: "other", count: 1, host: 0 };
  let next = first + 1;
  if (code > 0) {
    const step = ctx.header.clusterSize;
    let expected = code + step;
    for (; next < limit; next++) {
      const host = classify(ctx, table, next);
      if (host <= 0 || (contiguous && host !== expected)) break;
      expected = host + step;
    }
    return { kind: "data", count: next - first, host: code };
  }
  while (next < limit && classify(ctx, table, next) === code) next++;
  return { kind: code === ZERO ? "zero" : "backing", count: next - first, host: 0 };
}
