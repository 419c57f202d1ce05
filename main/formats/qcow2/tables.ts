/**
 * The two-level map from guest clusters to L2 entries: the L1 table, read once at open, and the
 * L2 tables, read on demand and kept in a bounded cache.
 */
import type { FileHandle } from "node:fs/promises";
import { ImageFormatError } from "../image-error.js";
import type { Qcow2Header } from "./header.js";
import { readAt } from "./io.js";
import { LruCache } from "../shared/lru-cache.js";

/** Memory for cached L2 tables: 16 MiB maps 128 GiB of guest disk with 64 KiB clusters. */
const L2_CACHE_BYTES = 16 * 1024 * 1024;
const MIN_CACHED_TABLES = 4;

/** Bits 9-55 of an L1 entry: the L2 table's file offset. */
const OFFSET_HIGH_MASK = 0x00ffffff;
const OFFSET_LOW_MASK = 0xfffffe00;

/** A table entry's bits 9-55 as a file offset. */
export function entryOffset(high: number, low: number): number {
  return (high & OFFSET_HIGH_MASK) * 2 ** 32 + ((low & OFFSET_LOW_MASK) >>> 0);
}

export class Qcow2Tables {
  private readonly cache: LruCache<number, Buffer>;

  private constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly header: Qcow2Header,
    private readonly fileSize: number,
    private readonly l1: Buffer,
  ) {
    const tables = Math.max(MIN_CACHED_TABLES, Math.floor(L2_CACHE_BYTES / header.clusterSize));
    this.cache = new LruCache(tables);
  }

  /** Reads the L1 entries the virtual size needs (the header check bounded their count). */
  static async load(
    file: string,
    handle: FileHandle,
    header: Qcow2Header,
    fileSize: number,
  ): Promise<Qcow2Tables> {
    const entries = Math.ceil(header.virtualSize / Qcow2Tables.bytesPerL2(header));
    const l1 = Buffer.alloc(entries * 8);
    if (entries > 0) await readAt(handle, l1, header.l1TableOffset);
    return new Qcow2Tables(file, handle, header, fileSize, l1);
  }

  /** Guest bytes one L2 table maps. */
  static bytesPerL2(header: Qcow2Header): number {
    return header.clusterSize * header.l2Entries;
  }

  get l1Entries(): number {
    return this.l1.length / 8;
  }

  /** The L2 table for L1 entry `index`, or undefined when that whole range is unallocated. */
  async l2Table(index: number): Promise<Buffer | undefined> {
    const offset = entryOffset(this.l1.readUInt32BE(index * 8), this.l1.readUInt32BE(index * 8 + 4));
    if (offset === 0) return undefined;
    return this.cache.get(offset, () => this.loadL2(index, offset));
  }

  private async loadL2(index: number, offset: number): Promise<Buffer> {
    const size = this.header.clusterSize;
    if (offset % size !== 0 || offset + size > this.fileSize) {
      throw new ImageFormatError(
        this.file,
        `qcow2 L1 entry ${index} points to an L2 table at file offset ${offset}, ` +
          (offset % size !== 0
            ? "not a cluster boundary"
            : `past the end of the file (${this.fileSize} bytes)`),
      );
    }
    const table = Buffer.alloc(size);
    await readAt(this.handle, table, offset);
    return table;
  }
}
