/**
 * Writes a monolithicSparse VMDK: one hosted sparse extent with its descriptor embedded, the
 * layout VMware Workstation and qemu-img create (in sectors):
 *
 *   0: header | 1: descriptor | redundant GD | redundant GTs | GD | GTs | grains, in disk order
 *
 * Every grain table has its place reserved up front, as VMware expects of a hosted sparse
 * extent; a table is written (to both copies) once the writes move past its 32 MiB, and a table
 * never written is a hole of the host file that reads as all-unallocated. All-zero grains are
 * not allocated. Memory: one grain table, whatever the disk size.
 */
import type { DiskImageWriter } from "../disk-image.js";
import { ClusterSplitter } from "../cluster-splitter.js";
import { StagedImageFile } from "../staged-file.js";
import { SECTOR, WriteCursor } from "../write-checks.js";
import type { VmdkOptions } from "./writer-descriptor.js";
import {
  FLAG_REDUNDANT_GRAIN_TABLE,
  FLAG_VALID_NEWLINE_TEST,
  GRAIN_SECTORS,
  GRAIN_SIZE,
  GT_ENTRIES,
  GT_SECTORS,
  MAX_SECTOR,
  fileTooLarge,
  sparseExtentStart,
  writeSparseHead,
  type SparseHeader,
} from "./writer-header.js";

/** Room for the descriptor that qemu and VMware leave, so a tool can edit it in place. */
const DESCRIPTOR_SECTORS = 20;

interface Layout {
  descriptor: Buffer;
  gtCount: number;
  rgdSector: number;
  rgtSector: number;
  gdSector: number;
  gtSector: number;
  gdSectors: number;
  /** Sectors before the first grain, rounded up to a whole grain. */
  overHead: number;
}

function layout(descriptor: Buffer, capacity: number): Layout {
  const gtCount = Math.ceil(Math.ceil(capacity / GRAIN_SECTORS) / GT_ENTRIES);
  const gdSectors = Math.ceil((gtCount * 4) / SECTOR);
  const rgdSector = 1 + descriptor.length / SECTOR;
  const rgtSector = rgdSector + gdSectors;
  const gdSector = rgtSector + gtCount * GT_SECTORS;
  const gtSector = gdSector + gdSectors;
  const metadataEnd = gtSector + gtCount * GT_SECTORS;
  const overHead = Math.ceil(metadataEnd / GRAIN_SECTORS) * GRAIN_SECTORS;
  return { descriptor, gtCount, rgdSector, rgtSector, gdSector, gtSector, gdSectors, overHead };
}

export class VmdkSparseWriter implements DiskImageWriter {
  readonly format = "vmdk" as const;
  private readonly cursor: WriteCursor;
  private readonly splitter: ClusterSplitter;
  private readonly gt = Buffer.alloc(GT_ENTRIES * 4);
  private gtIndex = -1;
  private gtInUse = false;
  private nextSector: number;

  private constructor(
    private readonly file: StagedImageFile,
    private readonly capacity: number,
    private readonly layout: Layout,
  ) {
    this.cursor = new WriteCursor(capacity * SECTOR);
    this.splitter = new ClusterSplitter(GRAIN_SIZE, (index, grain) => this.writeGrain(index, grain));
    this.nextSector = layout.overHead;
  }

  static async create(
    file: string,
    virtualSize: number,
    options: VmdkOptions = {},
  ): Promise<VmdkSparseWriter> {
    const { capacity, descriptor } = sparseExtentStart(
      "vmdk",
      "monolithicSparse",
      file,
      virtualSize,
      options,
      DESCRIPTOR_SECTORS,
    );
    const plan = layout(descriptor, capacity);
    return new VmdkSparseWriter(await StagedImageFile.create(file), capacity, plan);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.cursor.advance(offset, data.length);
    await this.splitter.write(offset, data);
  }

  async finish(): Promise<void> {
    await this.splitter.flush();
    await this.flushGrainTable();
    const { gdSectors, gtCount, rgdSector, rgtSector, gdSector, gtSector } = this.layout;
    await this.file.write(rgdSector * SECTOR, grainDirectory(gdSectors, gtCount, rgtSector));
    await this.file.write(gdSector * SECTOR, grainDirectory(gdSectors, gtCount, gtSector));
    const header: SparseHeader = {
      version: 1,
      flags: FLAG_VALID_NEWLINE_TEST | FLAG_REDUNDANT_GRAIN_TABLE,
      capacity: this.capacity,
      descriptorOffset: 1,
      descriptorSize: this.layout.descriptor.length / SECTOR,
      rgdOffset: rgdSector,
      gdOffset: BigInt(gdSector),
      overHead: this.layout.overHead,
      compressAlgorithm: 0,
    };
    await writeSparseHead(this.file, header, this.layout.descriptor);
    // Grain tables never written must still lie inside the file: extend it over them.
    await this.file.truncate(this.nextSector * SECTOR);
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.discard();
  }

  private async writeGrain(index: number, grain: Buffer): Promise<void> {
    const gtIndex = Math.floor(index / GT_ENTRIES);
    if (gtIndex !== this.gtIndex) {
      await this.flushGrainTable();
      this.gtIndex = gtIndex;
    }
    const sector = this.nextSector;
    if (sector > MAX_SECTOR) throw fileTooLarge("monolithicSparse", this.file.finalPath);
    this.nextSector += GRAIN_SECTORS;
    await this.file.write(sector * SECTOR, grain);
    this.gt.writeUInt32LE(sector, (index % GT_ENTRIES) * 4);
    this.gtInUse = true;
  }

  private async flushGrainTable(): Promise<void> {
    if (!this.gtInUse) return;
    const offset = this.gtIndex * GT_SECTORS;
    await this.file.write((this.layout.rgtSector + offset) * SECTOR, this.gt);
    await this.file.write((this.layout.gtSector + offset) * SECTOR, this.gt);
    this.gt.fill(0);
    this.gtInUse = false;
  }
}

/** A grain directory pointing at grain tables laid out one after another from `firstGtSector`. */
function grainDirectory(gdSectors: number, gtCount: number, firstGtSector: number): Buffer {
  const buf = Buffer.alloc(gdSectors * SECTOR);
  for (let i = 0; i < gtCount; i++) buf.writeUInt32LE(firstGtSector + i * GT_SECTORS, i * 4);
  return buf;
}
