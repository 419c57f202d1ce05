/**
 * Where a VHD's virtual blocks are. Fixed disks hold the disk as-is before the footer. Dynamic
 * and differencing disks map each block through the BAT (32-bit big-endian sector numbers; all
 * ones for an absent block) to a sector bitmap followed by the block's data.
 *
 * In a dynamic disk the bitmap is ignored and an allocated block is read whole, as qemu and
 * Windows do (writers zero a block when allocating it). In a differencing disk the bitmap
 * (most significant bit first) says which sectors are here and which come from the parent.
 */
import { ImageFormatError } from "../image-error.js";
import type { BlockLayout, BlockMapping } from "../shared/block-image.js";
import type { ImageFile } from "../shared/image-file.js";
import { LruCache } from "../shared/lru-cache.js";
import { PagedTable } from "../shared/paged-table.js";
import { allPresent, nonePresent, type SectorBitmap } from "../shared/sector-bitmap.js";
import type { DynamicHeader } from "./dynamic-header.js";
import { FOOTER_SIZE } from "./footer.js";

const SECTOR = 512;
const ABSENT = 0xffffffff;
/** Fixed disks are read through pseudo-blocks this large; reads spanning them are still merged. */
const FIXED_PIECE = 1024 * 1024 * 1024;

export class FixedLayout implements BlockLayout {
  readonly blockSize = FIXED_PIECE;

  constructor(
    file: ImageFile,
    readonly virtualSize: number,
  ) {
    if (virtualSize + FOOTER_SIZE > file.size) {
      throw new ImageFormatError(
        file.path,
        `is a fixed VHD of ${virtualSize} bytes, but the file has only ${file.size - FOOTER_SIZE} bytes of data`,
        "The file is truncated; copy it again from the original.",
      );
    }
  }

  async map(index: number): Promise<BlockMapping> {
    return { kind: "data", fileOffset: index * FIXED_PIECE };
  }
}

export class DynamicLayout implements BlockLayout {
  readonly blockSize: number;
  private readonly table: PagedTable;
  private readonly sectorsPerBlock: number;
  private readonly bitmapBytes: number;
  private readonly bitmaps = new LruCache<number, Buffer>(64);

  constructor(
    private readonly file: ImageFile,
    header: DynamicHeader,
    readonly virtualSize: number,
    private readonly differencing: boolean,
  ) {
    this.blockSize = header.blockSize;
    this.sectorsPerBlock = header.blockSize / SECTOR;
    // The bitmap takes whole sectors before the block's data.
    this.bitmapBytes = Math.ceil(this.sectorsPerBlock / 8 / SECTOR) * SECTOR;
    const blocks = Math.ceil(virtualSize / header.blockSize);
    if (blocks > header.maxTableEntries) {
      throw new ImageFormatError(
        file.path,
        `the VHD BAT has ${header.maxTableEntries} entries, but a ${virtualSize}-byte disk needs ${blocks}`,
      );
    }
    this.table = new PagedTable(file, "the VHD BAT", header.tableOffset, blocks, 4);
  }

  async map(index: number): Promise<BlockMapping> {
    const sector = (await this.table.entry(index)).readUInt32BE(0);
    if (sector === ABSENT) return { kind: this.differencing ? "parent" : "zero" };
    // Sector 0 holds the footer copy: an entry pointing there is damaged.
    if (sector === 0) throw new ImageFormatError(this.file.path, `the VHD BAT entry of block ${index} is 0`);
    const start = sector * SECTOR;
    const fileOffset = start + this.bitmapBytes;
    if (!this.differencing) return { kind: "data", fileOffset };
    const bitmap: SectorBitmap = {
      bits: await this.bitmaps.get(index, () =>
        this.file.read(start, Math.ceil(this.sectorsPerBlock / 8), `the sector bitmap of block ${index}`),
      ),
      msbFirst: true,
      sectorSize: SECTOR,
    };
    if (allPresent(bitmap, this.sectorsPerBlock)) return { kind: "data", fileOffset };
    if (nonePresent(bitmap, this.sectorsPerBlock)) return { kind: "parent" };
    return { kind: "partial", fileOffset, bitmap };
  }
}
