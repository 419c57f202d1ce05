/**
 * Reading through grain tables, shared by hosted sparse (KDMV), stream-optimized and ESXi COWD
 * extents. Each grain is data (at a sector of the file, raw or compressed), zero, or absent (the
 * parent's bytes). Neighbouring grains that sit next to each other in the file are read with one
 * positional read, and neighbouring absent grains with one read of the parent.
 */
import { settleAll, type ParentRead, type Run, type RunKind, type VmdkExtent } from "./extent.js";
import type { PooledFile } from "./file-pool.js";
import type { GrainTables } from "./grain-tables.js";
import { SECTOR, idiv } from "./limits.js";

/** Reads part of one compressed grain (stream-optimized extents). */
export interface CompressedGrains {
  read(grain: number, sector: number, within: number, target: Buffer): Promise<void>;
}

export interface GrainedExtentSpec {
  file: PooledFile;
  tables: GrainTables;
  grainBytes: number;
  length: number;
  zeroedGte: boolean;
  compressed: CompressedGrains | undefined;
}

/** A piece of the target waiting to be merged with the next one, read from the file or the parent. */
interface Pending {
  from: "file" | "parent";
  source: number;
  targetStart: number;
  length: number;
}

export class GrainedExtent implements VmdkExtent {
  readonly length: number;

  constructor(private readonly spec: GrainedExtentSpec) {
    this.length = spec.length;
  }

  private kindOf(entry: number): RunKind {
    if (entry === 0) return "parent";
    if (entry === 1 && this.spec.zeroedGte) return "zero";
    return "data";
  }

  async *runs(offset: number, length: number): AsyncIterable<Run> {
    const { grainBytes, tables } = this.spec;
    const gtes = tables.gtesPerGt;
    const end = offset + length;
    let pending: Run | undefined;
    let pos = offset;
    while (pos < end) {
      const gtIndex = idiv(idiv(pos, grainBytes), gtes);
      const table = await tables.table(gtIndex);
      const tableEnd = Math.min(end, (gtIndex + 1) * gtes * grainBytes);
      while (pos < tableEnd) {
        let kind: RunKind;
        let stop: number;
        if (typeof table === "string") {
          kind = table === "zero" ? "zero" : "parent";
          stop = tableEnd;
        } else {
          // Scan the table for the run of entries of one kind: a 2 TB disk has 32M of them.
          const base = gtIndex * gtes;
          let entry = idiv(pos, grainBytes) - base;
          kind = this.kindOf(table[entry] ?? 0);
          const entries = Math.min(table.length, Math.ceil(tableEnd / grainBytes) - base);
          while (entry + 1 < entries && this.kindOf(table[entry + 1] ?? 0) === kind) entry++;
          stop = Math.min(tableEnd, (base + entry + 1) * grainBytes);
        }
        if (pending?.kind === kind) {
          pending.length += stop - pos;
        } else {
          if (pending) yield pending;
          pending = { offset: pos, length: stop - pos, kind };
        }
        pos = stop;
      }
    }
    if (pending) yield pending;
  }

  async read(offset: number, target: Buffer, parent: ParentRead): Promise<void> {
    const { grainBytes, tables, file, compressed } = this.spec;
    const gtes = tables.gtesPerGt;
    const jobs: Promise<void>[] = [];
    let pending: Pending | undefined;
    const flush = (): void => {
      if (!pending) return;
      const slice = target.subarray(pending.targetStart, pending.targetStart + pending.length);
      jobs.push(pending.from === "file" ? file.read(slice, pending.source) : parent(pending.source, slice));
      pending = undefined;
    };
    const add = (from: Pending["from"], source: number, targetStart: number, length: number): void => {
      if (
        pending?.from === from &&
        pending.source + pending.length === source &&
        pending.targetStart + pending.length === targetStart
      ) {
        pending.length += length;
        return;
      }
      flush();
      pending = { from, source, targetStart, length };
    };

    const end = offset + target.length;
    let pos = offset;
    try {
      while (pos < end) {
        const grain = idiv(pos, grainBytes);
        const gtIndex = idiv(grain, gtes);
        const table = await tables.table(gtIndex);
        const within = pos - grain * grainBytes;
        const n = Math.min(grainBytes - within, end - pos);
        const at = pos - offset;
        const entry = typeof table === "string" ? 0 : (table[grain - gtIndex * gtes] ?? 0);
        const kind = table === "zero" ? "zero" : table === "absent" ? "parent" : this.kindOf(entry);
        if (kind === "parent") {
          add("parent", pos, at, n);
        } else if (kind === "zero") {
          target.fill(0, at, at + n);
        } else if (compressed) {
          flush();
          jobs.push(compressed.read(grain, entry, within, target.subarray(at, at + n)));
        } else {
          const source = entry * SECTOR + within;
          file.check(source, n, `grain ${grain} (disk offset ${grain * grainBytes})`);
          add("file", source, at, n);
        }
        pos += n;
      }
    } catch (err) {
      await Promise.allSettled(jobs);
      throw err;
    }
    flush();
    await settleAll(jobs);
  }
}
