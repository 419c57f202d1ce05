/**
 * What one guest cluster holds, decoded from its L2 entry: data at a file offset, zeros, a
 * compressed cluster, or nothing (read from the backing file). With extended L2 entries a cluster
 * is split into 32 subclusters, each with its own state, so a cluster decodes to a list of parts.
 */
import { ImageFormatError } from "../image-error.js";
import type { Qcow2Header } from "./header.js";
import { entryOffset } from "./tables.js";

/** A byte range [start, start + length) inside the guest cluster, and where its bytes come from. */
export type ClusterPart =
  | { kind: "data"; start: number; length: number; host: number }
  | { kind: "zero"; start: number; length: number }
  | { kind: "backing"; start: number; length: number }
  | { kind: "compressed"; start: number; length: number; host: number; size: number };

export const COMPRESSED_BIT = 0x40000000;
export const ZERO_BIT = 1;
const SUBCLUSTERS = 32;

export interface ClusterContext {
  file: string;
  header: Qcow2Header;
  fileSize: number;
}

/**
 * Decodes entry `index` of an L2 table (undefined: the table is unallocated). `guestOffset` is
 * where the cluster starts on the virtual disk, for error messages.
 */
export function clusterParts(
  ctx: ClusterContext,
  table: Buffer | undefined,
  index: number,
  guestOffset: number,
): ClusterPart[] {
  const size = ctx.header.clusterSize;
  if (!table) return [{ kind: "backing", start: 0, length: size }];
  const at = index * ctx.header.l2EntryBytes;
  const high = table.readUInt32BE(at);
  const low = table.readUInt32BE(at + 4);
  if (high & COMPRESSED_BIT) return [compressedPart(ctx, high, low, guestOffset)];
  const host = entryOffset(high, low);
  if (ctx.header.extendedL2) {
    return subclusterParts(ctx, host, table.readUInt32BE(at + 12), table.readUInt32BE(at + 8), guestOffset);
  }
  if (low & ZERO_BIT) {
    if (ctx.header.version === 2) {
      throw new ImageFormatError(
        ctx.file,
        `qcow2 version 2 image has a zero cluster at guest offset ${guestOffset}`,
      );
    }
    return [{ kind: "zero", start: 0, length: size }];
  }
  if (host === 0) return [{ kind: "backing", start: 0, length: size }];
  checkHost(ctx, host, guestOffset);
  return [{ kind: "data", start: 0, length: size, host }];
}

/** A data cluster must start on a cluster boundary inside the file; its tail may be missing. */
function checkHost(ctx: ClusterContext, host: number, guestOffset: number): void {
  if (host % ctx.header.clusterSize !== 0) {
    throw new ImageFormatError(
      ctx.file,
      `qcow2 cluster for guest offset ${guestOffset} is at file offset ${host}, not a cluster boundary`,
    );
  }
  if (host >= ctx.fileSize) {
    throw new ImageFormatError(
      ctx.file,
      `qcow2 cluster for guest offset ${guestOffset} points to file offset ${host}, ` +
        `past the end of the file (${ctx.fileSize} bytes)`,
    );
  }
}

/**
 * The compressed descriptor splits its 62 bits at x = 70 - cluster_bits: the low x bits are the
 * byte offset, the rest the number of 512-byte sectors after the first one. x is 49 to 61, so the
 * split always falls in the high word.
 */
function compressedPart(ctx: ClusterContext, high: number, low: number, guestOffset: number): ClusterPart {
  const highBits = 70 - ctx.header.clusterBits - 32;
  const host = (high & ((1 << highBits) - 1)) * 2 ** 32 + (low >>> 0);
  const sectors = ((high & 0x3fffffff) >>> highBits) + 1;
  if (host >= ctx.fileSize) {
    throw new ImageFormatError(
      ctx.file,
      `qcow2 compressed cluster for guest offset ${guestOffset} points to file offset ${host}, ` +
        `past the end of the file (${ctx.fileSize} bytes)`,
    );
  }
  const size = sectors * 512 - (host % 512);
  return { kind: "compressed", start: 0, length: ctx.header.clusterSize, host, size };
}

/** Bit i of `allocated` or `zeros` describes subcluster i; runs of one state become one part. */
function subclusterParts(
  ctx: ClusterContext,
  host: number,
  allocated: number,
  zeros: number,
  guestOffset: number,
): ClusterPart[] {
  if (allocated & zeros) {
    throw new ImageFormatError(
      ctx.file,
      `qcow2 cluster for guest offset ${guestOffset} has subclusters marked both allocated and zero`,
    );
  }
  if (allocated !== 0) {
    if (host === 0) {
      throw new ImageFormatError(
        ctx.file,
        `qcow2 cluster for guest offset ${guestOffset} has allocated subclusters but no file offset`,
      );
    }
    checkHost(ctx, host, guestOffset);
  }
  const sub = ctx.header.clusterSize / SUBCLUSTERS;
  const parts: ClusterPart[] = [];
  let i = 0;
  while (i < SUBCLUSTERS) {
    const state = subclusterState(allocated, zeros, i);
    let j = i + 1;
    while (j < SUBCLUSTERS && subclusterState(allocated, zeros, j) === state) j++;
    const start = i * sub;
    const length = (j - i) * sub;
    if (state === "data") parts.push({ kind: "data", start, length, host: host + start });
    else parts.push({ kind: state, start, length });
    i = j;
  }
  return parts;
}

function subclusterState(allocated: number, zeros: number, i: number): "data" | "zero" | "backing" {
  if ((allocated >>> i) & 1) return "data";
  if ((zeros >>> i) & 1) return "zero";
  return "backing";
}
