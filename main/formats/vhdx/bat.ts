/**
 * The VHDX block allocation table: one 64-bit entry per payload block (state in the low 3 bits,
 * file offset in MiB in the high 44), with one sector bitmap entry after every `chunkRatio`
 * payload entries. Differencing files keep, per chunk, a 1 MiB sector bitmap saying which
 * sectors of partially present blocks are in this file rather than in the parent.
 */
import { ImageFormatError } from "../image-error.js";
import type { BlockLayout, BlockMapping } from "../shared/block-image.js";
import type { ImageFile } from "../shared/image-file.js";
import { LruCache } from "../shared/lru-cache.js";
import { PagedTable } from "../shared/paged-table.js";
import { allPresent, nonePresent, type SectorBitmap } from "../shared/sector-bitmap.js";
import type { VhdxMetadata } from "./metadata.js";
import type { Region } from "./region-table.js";

const MIB = 1024 * 1024;
/** Sectors described by one sector bitmap block (its 1 MiB of bits). */
const SECTORS_PER_BITMAP = 2 ** 23;

const PAYLOAD_NOT_PRESENT = 0;
const PAYLOAD_UNDEFINED = 1;
const PAYLOAD_ZERO = 2;
const PAYLOAD_UNMAPPED = 3;
/** UNMAPPED's value in the 0.95 draft of the spec; early writers may have used it. */
const PAYLOAD_UNMAPPED_V095 = 5;
const PAYLOAD_FULLY_PRESENT = 6;
const PAYLOAD_PARTIALLY_PRESENT = 7;
const SECTOR_BITMAP_PRESENT = 6;

interface BatEntry {
  state: number;
  /** Byte offset in the file; above 2^53 for garbage entries, which then fail the bounds check. */
  fileOffset: number;
}

function decode(entry: Buffer): BatEntry {
  const low = entry.readUInt32LE(0);
  const high = entry.readUInt32LE(4);
  return { state: low & 7, fileOffset: (high * 4096 + (low >>> 20)) * MIB };
}

export class VhdxLayout implements BlockLayout {
  readonly blockSize: number;
  readonly virtualSize: number;
  private readonly chunkRatio: number;
  private readonly sectorsPerBlock: number;
  private readonly table: PagedTable;
  private readonly bitmaps = new LruCache<number, Buffer>(64);

  constructor(
    private readonly file: ImageFile,
    private readonly meta: VhdxMetadata,
    bat: Region,
  ) {
    this.blockSize = meta.blockSize;
    this.virtualSize = meta.virtualSize;
    this.chunkRatio = (SECTORS_PER_BITMAP * meta.logicalSectorSize) / meta.blockSize;
    this.sectorsPerBlock = meta.blockSize / meta.logicalSectorSize;
    const dataBlocks = Math.ceil(meta.virtualSize / meta.blockSize);
    const bitmapBlocks = Math.ceil(dataBlocks / this.chunkRatio);
    const entries = meta.hasParent
      ? bitmapBlocks * (this.chunkRatio + 1)
      : dataBlocks + Math.floor(Math.max(0, dataBlocks - 1) / this.chunkRatio);
    if (entries * 8 > bat.length) {
      throw new ImageFormatError(
        file.path,
        `the VHDX BAT region holds ${Math.floor(bat.length / 8)} entries, but a ${meta.virtualSize}-byte disk needs ${entries}`,
      );
    }
    this.table = new PagedTable(file, "the VHDX BAT", bat.offset, entries, 8);
  }

  async map(index: number): Promise<BlockMapping> {
    const { state, fileOffset } = decode(await this.table.entry(index + Math.floor(index / this.chunkRatio)));
    switch (state) {
      case PAYLOAD_NOT_PRESENT:
        return { kind: this.meta.hasParent ? "parent" : "zero" };
      // Undefined and unmapped blocks may read as anything; zeros is what qemu and Hyper-V return.
      case PAYLOAD_UNDEFINED:
      case PAYLOAD_ZERO:
      case PAYLOAD_UNMAPPED:
      case PAYLOAD_UNMAPPED_V095:
        return { kind: "zero" };
      case PAYLOAD_FULLY_PRESENT:
        return { kind: "data", fileOffset: this.checkOffset(fileOffset, `block ${index}`) };
      case PAYLOAD_PARTIALLY_PRESENT:
        return this.partial(index, this.checkOffset(fileOffset, `block ${index}`));
      default:
        throw new ImageFormatError(
          this.file.path,
          `the VHDX BAT entry of block ${index} has the reserved state ${state}`,
        );
    }
  }

  private async partial(index: number, fileOffset: number): Promise<BlockMapping> {
    if (!this.meta.hasParent) {
      throw new ImageFormatError(
        this.file.path,
        `block ${index} is marked partially present, but the disk is not a differencing disk`,
      );
    }
    const bitmap: SectorBitmap = {
      bits: await this.bitmaps.get(index, () => this.loadBitmap(index)),
      msbFirst: false,
      sectorSize: this.meta.logicalSectorSize,
    };
    if (allPresent(bitmap, this.sectorsPerBlock)) return { kind: "data", fileOffset };
    if (nonePresent(bitmap, this.sectorsPerBlock)) return { kind: "parent" };
    return { kind: "partial", fileOffset, bitmap };
  }

  /** The bits of block `index`'s sectors, from its chunk's sector bitmap block. */
  private async loadBitmap(index: number): Promise<Buffer> {
    const chunk = Math.floor(index / this.chunkRatio);
    const { state, fileOffset } = decode(
      await this.table.entry(chunk * (this.chunkRatio + 1) + this.chunkRatio),
    );
    if (state !== SECTOR_BITMAP_PRESENT) {
      throw new ImageFormatError(
        this.file.path,
        `block ${index} is partially present, but the sector bitmap of its chunk is missing (state ${state})`,
      );
    }
    const bytes = this.sectorsPerBlock / 8;
    const at =
      this.checkOffset(fileOffset, `the sector bitmap of chunk ${chunk}`) + (index % this.chunkRatio) * bytes;
    return this.file.read(at, bytes, `the sector bitmap of chunk ${chunk}`);
  }

  /** Blocks live after the 1 MiB header area; an offset inside it is a damaged entry. */
  private checkOffset(fileOffset: number, what: string): number {
    if (fileOffset < MIB) {
      throw new ImageFormatError(this.file.path, `the VHDX BAT entry of ${what} points into the file header`);
    }
    return fileOffset;
  }
}
