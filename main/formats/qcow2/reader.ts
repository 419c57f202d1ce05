/**
 * Reads the virtual disk of an opened qcow2 image: each guest cluster's parts come from the file,
 * from a compressed cluster, from the backing file or are zeros. Neighbouring parts that are
 * contiguous in the file (or in the backing file) are read with one positional read.
 */
import type { FileHandle } from "node:fs/promises";
import type { DiskImageReader, Extent, ImageInfo } from "../disk-image.js";
import { resolveRuns, type LayerRun } from "./allocation.js";
import { clusterParts, type ClusterContext } from "./clusters.js";
import { CompressedClusters } from "./compressed.js";
import type { Qcow2Header } from "./header.js";
import { readAt } from "./io.js";
import { l2Run } from "./l2-runs.js";
import { Qcow2Tables } from "./tables.js";

/** A read of `length` bytes into the target at `into`, from `from` in the file or the backing disk. */
interface PendingRead {
  source: "data" | "backing";
  into: number;
  from: number;
  length: number;
}

/** Holds back each read until the next one shows it cannot be extended, so neighbours become one. */
class ReadJoiner {
  private pending: PendingRead | undefined;

  constructor(private readonly send: (read: PendingRead) => Promise<void>) {}

  async add(source: PendingRead["source"], into: number, from: number, length: number): Promise<void> {
    const p = this.pending;
    if (p && p.source === source && p.into + p.length === into && p.from + p.length === from) {
      p.length += length;
      return;
    }
    this.pending = { source, into, from, length };
    if (p) await this.send(p);
  }

  async flush(): Promise<void> {
    const p = this.pending;
    this.pending = undefined;
    if (p) await this.send(p);
  }
}

export class Qcow2Reader implements DiskImageReader {
  readonly virtualSize: number;
  private readonly ctx: ClusterContext;
  private readonly compressed: CompressedClusters;

  constructor(
    readonly info: ImageInfo,
    file: string,
    private readonly handle: FileHandle,
    private readonly header: Qcow2Header,
    fileSize: number,
    private readonly tables: Qcow2Tables,
    private readonly backing: DiskImageReader | undefined,
  ) {
    this.virtualSize = header.virtualSize;
    this.ctx = { file, header, fileSize };
    this.compressed = new CompressedClusters(file, handle, fileSize, header.clusterSize, header.compression);
  }

  async read(offset: number, target: Buffer): Promise<void> {
    const end = offset + target.length;
    if (!Number.isSafeInteger(offset) || offset < 0 || end > this.virtualSize) {
      throw new RangeError(
        `read of ${target.length} bytes at ${offset} is outside the disk (${this.virtualSize})`,
      );
    }
    const { clusterSize, l2Entries } = this.header;
    const reads = new ReadJoiner((read) => this.fill(target, read));
    const lastCluster = Math.ceil(end / clusterSize);
    let tableIndex = -1;
    let table: Buffer | undefined;
    let at = offset;
    while (at < end) {
      const cluster = Math.floor(at / clusterSize);
      const clusterStart = cluster * clusterSize;
      if (Math.floor(cluster / l2Entries) !== tableIndex) {
        tableIndex = Math.floor(cluster / l2Entries);
        table = await this.tables.l2Table(tableIndex);
      }
      const first = cluster - tableIndex * l2Entries;
      const limit = Math.min(l2Entries, lastCluster - tableIndex * l2Entries);
      const run = l2Run(this.ctx, table, first, limit, true);
      const to = Math.min(end, clusterStart + run.count * clusterSize);
      if (run.kind === "data") await reads.add("data", at - offset, run.host + (at - clusterStart), to - at);
      else if (run.kind === "backing") await reads.add("backing", at - offset, at, to - at);
      else if (run.kind === "zero") target.fill(0, at - offset, to - offset);
      else await this.readParts(table, first, clusterStart, { offset, target, at, to }, reads);
      at = to;
    }
    await reads.flush();
  }

  /** Bytes [at, to) of one cluster that the fast path left alone (compressed, subclusters). */
  private async readParts(
    table: Buffer | undefined,
    index: number,
    clusterStart: number,
    r: { offset: number; target: Buffer; at: number; to: number },
    reads: ReadJoiner,
  ): Promise<void> {
    for (const part of clusterParts(this.ctx, table, index, clusterStart)) {
      const from = Math.max(r.at, clusterStart + part.start);
      const to = Math.min(r.to, clusterStart + part.start + part.length);
      if (from >= to) continue;
      const into = from - r.offset;
      if (part.kind === "data") {
        await reads.add("data", into, part.host + (from - clusterStart - part.start), to - from);
      } else if (part.kind === "backing") {
        await reads.add("backing", into, from, to - from);
      } else if (part.kind === "zero") {
        r.target.fill(0, into, into + to - from);
      } else {
        const data = await this.compressed.cluster(part.host, part.size, clusterStart);
        data.copy(r.target, into, from - clusterStart, to - clusterStart);
      }
    }
  }

  private async fill(target: Buffer, read: PendingRead): Promise<void> {
    const slice = target.subarray(read.into, read.into + read.length);
    if (read.source === "data") return readAt(this.handle, slice, read.from);
    // Where the backing file is shorter than this image, or absent, the disk reads as zeros.
    const available = this.backing
      ? Math.max(0, Math.min(read.length, this.backing.virtualSize - read.from))
      : 0;
    if (this.backing && available > 0) await this.backing.read(read.from, slice.subarray(0, available));
    slice.fill(0, available);
  }

  allocation(): AsyncIterable<Extent> {
    return resolveRuns(this.layerRuns(), this.backing);
  }

  /** This layer's own map, merged into runs, without looking at any data. */
  private async *layerRuns(): AsyncGenerator<LayerRun> {
    const { clusterSize, l2Entries } = this.header;
    const span = Qcow2Tables.bytesPerL2(this.header);
    let pending: LayerRun | undefined;
    const add = (offset: number, length: number, kind: LayerRun["kind"]): LayerRun | undefined => {
      if (pending && pending.kind === kind && pending.offset + pending.length === offset) {
        pending.length += length;
        return undefined;
      }
      const done = pending;
      pending = { offset, length, kind };
      return done;
    };
    for (let index = 0; index < this.tables.l1Entries; index++) {
      const base = index * span;
      const limit = Math.min(this.virtualSize, base + span);
      const table = await this.tables.l2Table(index);
      const entries = Math.min(l2Entries, Math.ceil((limit - base) / clusterSize));
      for (let i = 0; i < entries;) {
        const clusterStart = base + i * clusterSize;
        const run = l2Run(this.ctx, table, i, entries, false);
        if (run.kind !== "other") {
          const done = add(clusterStart, Math.min(run.count * clusterSize, limit - clusterStart), run.kind);
          if (done) yield done;
          i += run.count;
          continue;
        }
        for (const part of clusterParts(this.ctx, table, i, clusterStart)) {
          const from = clusterStart + part.start;
          const length = Math.min(part.length, limit - from);
          if (length <= 0) continue;
          const done = add(from, length, part.kind === "compressed" ? "data" : part.kind);
          if (done) yield done;
        }
        i++;
      }
    }
    if (pending) yield pending;
  }

  async close(): Promise<void> {
    try {
      await this.handle.close();
    } finally {
      await this.backing?.close();
    }
  }
}
