/**
 * One extent of a VMDK layer: a flat file, a run of zeros, or a sparse file (hosted "KDMV",
 * stream-optimized, or ESXi "COWD"). Offsets are bytes from the start of the extent.
 */

/** `parent`: this layer holds nothing here; the bytes come from the parent disk (zeros without one). */
export type RunKind = "data" | "zero" | "parent";

export interface Run {
  offset: number;
  length: number;
  kind: RunKind;
}

/** Reads `target.length` bytes of the parent disk at an offset relative to the extent. */
export type ParentRead = (offset: number, target: Buffer) => Promise<void>;

export interface VmdkExtent {
  readonly length: number;
  /** Runs covering [offset, offset + length) in order, from metadata only. */
  runs(offset: number, length: number): AsyncIterable<Run>;
  read(offset: number, target: Buffer, parent: ParentRead): Promise<void>;
}

/**
 * Waits for every job, then throws the first failure: returning while a job still writes into the
 * caller's buffer would hand it bytes that change under it.
 */
export async function settleAll(jobs: Promise<void>[]): Promise<void> {
  const results = await Promise.allSettled(jobs);
  for (const r of results) if (r.status === "rejected") throw r.reason;
}
