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
import { Qcow2Tables } from "./tables.js";

/** A pending read of `length` bytes into the target at `into`, from `from` in the file or backing. */
interface PendingRead {
  source: "data" | "backing";
  into: number;
  from: number;
  length: number;
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
    let pending: PendingRead | undefined;
    // Only a read that cannot join the pending one sends the pending one to the file.
    const queue = (next: PendingRead): PendingRead | undefined => {
      if (
        pending &&
        pending.source === next.source &&
        pending.into + pending.length === next.into &&
        pending.from + pending.length === next.from
      ) {
        pending.length += next.length;
        return undefined;
      }
      const ready = pending;
      pending = next;
      return ready;
    };
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
      for (const part of clusterParts(this.ctx, table, cluster % l2Entries, clusterStart)) {
        const from = Math.max(at, clusterStart + part.start);
        const to = Math.min(end, clusterStart + part.start + part.length);
        if (from >= to) continue;
        const into = from - offset;
        let ready: PendingRead | undefined;
        if (part.kind === "data") {
          ready = queue({
            source: "data",
            into,
            from: part.host + (from - clusterStart - part.start),
            length: to - from,
          });
        } else if (part.kind === "backing") {
          ready = queue({ source: "backing", into, from, length: to - from });
        } else if (part.kind === "zero") {
          target.fill(0, into, into + to - from);
        } else {
          const data = await this.compressed.cluster(part.host, part.size, clusterStart);
          data.copy(target, into, from - clusterStart, to - clusterStart);
        }
        if (ready) await this.fill(target, ready);
      }
      at = Math.min(end, clusterStart + clusterSize);
    }
    if (pending) await this.fill(target, pending);
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
      if (!table) {
        const done = add(base, limit - base, "backing");
        if (done) yield done;
        continue;
      }
      for (let i = 0; i < l2Entries && base + i * clusterSize < limit; i++) {
        const clusterStart = base + i * clusterSize;
        for (const part of clusterParts(this.ctx, table, i, clusterStart)) {
          const from = clusterStart + part.start;
          const length = Math.min(part.length, limit - from);
          if (length <= 0) continue;
          const done = add(from, length, part.kind === "compressed" ? "data" : part.kind);
          if (done) yield done;
        }
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
