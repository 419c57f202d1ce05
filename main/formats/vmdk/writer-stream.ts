/**
 * Writes a streamOptimized VMDK, the compressed format OVF/OVA packages carry and ESXi imports.
 * Everything is appended in one pass, so the file could go straight to a network stream:
 *
 *   header (gdOffset = GD_AT_END) | descriptor | grains, each behind a grain marker, and after
 *   each 32 MiB of disk its grain table behind a GT marker | GD marker, grain directory |
 *   footer marker, footer (the header again, with the real gdOffset) | end-of-stream marker
 *
 * Grains are compressed with zlib (the RFC 1950 stream VMware and qemu write and read). All-zero
 * grains are not stored, and a grain table with no grain is left out with a zero directory entry,
 * as VMware itself does. Memory: one grain table, the grain directory (4 bytes per 32 MiB of
 * disk) and the grains of one write being compressed.
 */
import { promisify } from "node:util";
import { deflate as deflateCallback } from "node:zlib";
import type { DiskImageWriter } from "../disk-image.js";
import { ClusterSplitter } from "../cluster-splitter.js";
import { StagedImageFile } from "../staged-file.js";
import { SECTOR, WriteCursor } from "../write-checks.js";
import type { VmdkOptions } from "./writer-descriptor.js";
import {
  COMPRESSION_DEFLATE,
  FLAG_COMPRESSED_GRAINS,
  FLAG_MARKERS,
  FLAG_VALID_NEWLINE_TEST,
  GD_AT_END,
  GRAIN_SECTORS,
  GRAIN_SIZE,
  GT_ENTRIES,
  GT_SECTORS,
  MAX_SECTOR,
  encodeSparseHeader,
  fileTooLarge,
  sparseExtentStart,
  writeSparseHead,
  type SparseHeader,
} from "./writer-header.js";

const deflate = promisify(deflateCallback);

const MARKER_EOS = 0;
const MARKER_GT = 1;
const MARKER_GD = 2;
const MARKER_FOOTER = 3;
/** A grain marker: the grain's first disk sector (8 bytes), then the compressed size (4 bytes). */
const GRAIN_MARKER_SIZE = 12;
/**
 * Grains compressed at once (on libuv's thread pool). Enough to keep its threads busy; each
 * holds a 64 KiB grain and its compressed copy.
 */
const COMPRESS_AHEAD = 16;

/** A metadata marker: a whole sector holding its size in sectors, a zero size field and a type. */
function marker(sectors: number, type: number): Buffer {
  const buf = Buffer.alloc(SECTOR);
  buf.writeBigUInt64LE(BigInt(sectors), 0);
  buf.writeUInt32LE(type, 12);
  return buf;
}

interface Compressing {
  index: number;
  compressed: Promise<Buffer>;
}

export class VmdkStreamWriter implements DiskImageWriter {
  readonly format = "vmdk-stream" as const;
  private readonly cursor: WriteCursor;
  private readonly splitter: ClusterSplitter;
  private readonly header: SparseHeader;
  private readonly gd: Uint32Array;
  private readonly gt = Buffer.alloc(GT_ENTRIES * 4);
  private gtIndex = -1;
  private gtInUse = false;
  private nextSector: number;
  private readonly compressing: Compressing[] = [];

  private constructor(
    private readonly file: StagedImageFile,
    capacity: number,
    private readonly descriptor: Buffer,
  ) {
    this.cursor = new WriteCursor(capacity * SECTOR);
    this.splitter = new ClusterSplitter(GRAIN_SIZE, (index, grain) => this.compress(index, grain));
    this.gd = new Uint32Array(Math.ceil(Math.ceil(capacity / GRAIN_SECTORS) / GT_ENTRIES));
    const descriptorSize = descriptor.length / SECTOR;
    // Grains start on a grain boundary, where VMware's own stream files start them.
    const overHead = Math.ceil((1 + descriptorSize) / GRAIN_SECTORS) * GRAIN_SECTORS;
    this.header = {
      version: 3,
      flags: FLAG_VALID_NEWLINE_TEST | FLAG_COMPRESSED_GRAINS | FLAG_MARKERS,
      capacity,
      descriptorOffset: 1,
      descriptorSize,
      rgdOffset: 0,
      gdOffset: GD_AT_END,
      overHead,
      compressAlgorithm: COMPRESSION_DEFLATE,
    };
    this.nextSector = overHead;
  }

  static async create(
    file: string,
    virtualSize: number,
    options: VmdkOptions = {},
  ): Promise<VmdkStreamWriter> {
    const { capacity, descriptor } = sparseExtentStart(
      "vmdk-stream",
      "streamOptimized",
      file,
      virtualSize,
      options,
      1,
    );
    const staged = await StagedImageFile.create(file);
    const writer = new VmdkStreamWriter(staged, capacity, descriptor);
    try {
      await writer.writeHead();
    } catch (err) {
      await staged.discard();
      throw err;
    }
    return writer;
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.cursor.advance(offset, data.length);
    await this.splitter.write(offset, data);
    // Grains may be slices of `data`, which the caller may reuse once this returns.
    await this.drain(0);
  }

  async finish(): Promise<void> {
    await this.splitter.flush();
    await this.drain(0);
    await this.flushGrainTable();
    const gdSectors = Math.ceil((this.gd.length * 4) / SECTOR);
    await this.append(marker(gdSectors, MARKER_GD));
    const gdSector = this.nextSector;
    const gd = Buffer.alloc(gdSectors * SECTOR);
    this.gd.forEach((sector, i) => gd.writeUInt32LE(sector, i * 4));
    await this.append(gd);
    await this.append(marker(1, MARKER_FOOTER));
    await this.append(encodeSparseHeader({ ...this.header, gdOffset: BigInt(gdSector) }));
    await this.append(marker(0, MARKER_EOS));
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.discard();
  }

  /** The header and descriptor come first, as a reader of the stream needs them first. */
  private async writeHead(): Promise<void> {
    await writeSparseHead(this.file, this.header, this.descriptor);
  }

  private async compress(index: number, grain: Buffer): Promise<void> {
    const compressed = deflate(grain);
    // Awaited in order by drain(); this only keeps a failure seen after an abort from going unhandled.
    compressed.catch(() => undefined);
    this.compressing.push({ index, compressed });
    await this.drain(COMPRESS_AHEAD);
  }

  /** Appends compressed grains, in disk order, until at most `keep` are still being compressed. */
  private async drain(keep: number): Promise<void> {
    while (this.compressing.length > keep) {
      const next = this.compressing.shift();
      if (next) await this.appendGrain(next.index, await next.compressed);
    }
  }

  private async appendGrain(index: number, compressed: Buffer): Promise<void> {
    const gtIndex = Math.floor(index / GT_ENTRIES);
    if (gtIndex !== this.gtIndex) {
      await this.flushGrainTable();
      this.gtIndex = gtIndex;
    }
    const sector = this.nextSector;
    const record = Buffer.alloc(Math.ceil((GRAIN_MARKER_SIZE + compressed.length) / SECTOR) * SECTOR);
    record.writeBigUInt64LE(BigInt(index * GRAIN_SECTORS), 0);
    record.writeUInt32LE(compressed.length, 8);
    compressed.copy(record, GRAIN_MARKER_SIZE);
    await this.append(record);
    this.gt.writeUInt32LE(sector, (index % GT_ENTRIES) * 4);
    this.gtInUse = true;
  }

  private async flushGrainTable(): Promise<void> {
    if (!this.gtInUse) return;
    await this.append(marker(GT_SECTORS, MARKER_GT));
    this.gd[this.gtIndex] = this.nextSector;
    await this.append(this.gt);
    this.gt.fill(0);
    this.gtInUse = false;
  }

  /** Appends whole sectors at the end of the stream. */
  private async append(data: Buffer): Promise<void> {
    const sector = this.nextSector;
    if (sector + data.length / SECTOR > MAX_SECTOR)
      throw fileTooLarge("streamOptimized", this.file.finalPath);
    this.nextSector += data.length / SECTOR;
    await this.file.write(sector * SECTOR, data);
  }
}
