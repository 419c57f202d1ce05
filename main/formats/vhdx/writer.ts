/**
 * Writes a dynamic VHDX ([MS-VHDX]) front to back:
 *
 *   0: file identifier | 64 KiB, 128 KiB: headers 1 and 2 | 192 KiB, 256 KiB: region tables |
 *   1 MiB: log (empty) | 2 MiB: metadata | 3 MiB: BAT | payload blocks, in disk order
 *
 * A payload block is allocated at the end of the file the first time a write touches it; the
 * parts of it never written are holes of the host file, which read as zeros, so a partly
 * written block is zero-padded without writing the zeros. Blocks never touched stay
 * PAYLOAD_BLOCK_NOT_PRESENT, which a dynamic disk reads as zeros (as Hyper-V's own new disks do).
 *
 * Block size: 2 MiB rather than Hyper-V's 32 MiB default. The data arrives as 1 MiB pieces with
 * all-zero pieces skipped, and guest file systems scatter small writes (ext4 puts metadata in
 * every block group); with 2 MiB blocks a mostly-empty disk stays small inside the image itself,
 * not only in the host file's holes, which a copy to another host or over SMB does not keep.
 * Microsoft recommends small blocks for Linux guests for the same reason. The cost, a larger
 * BAT (8 MiB per 2 TiB of disk), is written out a page at a time and never held whole.
 */
import { SnapferryError } from "../../common/errors.js";
import { TOOL_NAME } from "../../common/version.js";
import type { DiskImageWriter } from "../disk-image.js";
import { StagedImageFile } from "../staged-file.js";
import { WriteCursor, requireNonEmpty, requireWholeSectors, SECTOR } from "../write-checks.js";
import { nonZeroRuns } from "../zero-runs.js";
import { REGION_BAT, REGION_METADATA, randomGuid } from "./guid.js";
import {
  encodeFileIdentifier,
  encodeHeader,
  encodeMetadata,
  encodeRegionTable,
} from "./writer-structures.js";

const KiB = 1024;
const MiB = 1024 * KiB;
const BLOCK_SIZE = 2 * MiB;
const PHYSICAL_SECTOR = 4 * KiB;
const LOG_OFFSET = 1 * MiB;
const LOG_LENGTH = 1 * MiB;
const METADATA_OFFSET = 2 * MiB;
const METADATA_LENGTH = 1 * MiB;
const BAT_OFFSET = 3 * MiB;
/** [MS-VHDX] 2.5: one sector bitmap block (2^23 sectors) per this many payload blocks. */
const CHUNK_RATIO = (2 ** 23 * SECTOR) / BLOCK_SIZE;
const PAYLOAD_BLOCK_FULLY_PRESENT = 6n;
/** 64 TiB, the format's limit. */
const MAX_VIRTUAL_SIZE = 64 * 1024 * 1024 * MiB;
/** Granularity of the zero check inside a block: what stays a hole of the host file. */
const ZERO_SCAN = 64 * KiB;

/**
 * The BAT, kept one page at a time. Blocks are allocated in disk order, so entries are set in
 * increasing order and a page is final once a later page is touched.
 */
class BatPager {
  private static readonly PAGE = 64 * KiB;
  private readonly page = Buffer.alloc(BatPager.PAGE);
  private pageIndex = 0;
  private dirty = false;

  constructor(private readonly file: StagedImageFile) {}

  async set(entry: number, value: bigint): Promise<void> {
    const at = entry * 8;
    const pageIndex = Math.floor(at / BatPager.PAGE);
    if (pageIndex !== this.pageIndex) {
      await this.flush();
      this.pageIndex = pageIndex;
    }
    this.page.writeBigUInt64LE(value, at - pageIndex * BatPager.PAGE);
    this.dirty = true;
  }

  async flush(): Promise<void> {
    if (!this.dirty) return;
    await this.file.write(BAT_OFFSET + this.pageIndex * BatPager.PAGE, this.page);
    this.page.fill(0);
    this.dirty = false;
  }
}

export class VhdxWriter implements DiskImageWriter {
  readonly format = "vhdx" as const;
  private readonly cursor: WriteCursor;
  private readonly bat: BatPager;
  private readonly batLength: number;
  private fileEnd: number;
  private currentBlock = -1;
  private currentBlockHost = 0;

  private constructor(
    private readonly file: StagedImageFile,
    private readonly virtualSize: number,
  ) {
    this.cursor = new WriteCursor(virtualSize);
    this.bat = new BatPager(file);
    const payloadBlocks = Math.ceil(virtualSize / BLOCK_SIZE);
    const entries = payloadBlocks === 0 ? 0 : payloadBlocks + Math.floor((payloadBlocks - 1) / CHUNK_RATIO);
    this.batLength = Math.max(1, Math.ceil((entries * 8) / MiB)) * MiB;
    this.fileEnd = BAT_OFFSET + this.batLength;
  }

  static async create(path: string, virtualSize: number): Promise<VhdxWriter> {
    requireWholeSectors("vhdx", virtualSize);
    requireNonEmpty("vhdx", virtualSize);
    if (virtualSize > MAX_VIRTUAL_SIZE) {
      throw new SnapferryError(
        "target",
        `a VHDX disk holds at most 64 TiB, and this disk is ${virtualSize} bytes`,
        "Write it as qcow2 or raw instead.",
      );
    }
    return new VhdxWriter(await StagedImageFile.create(path), virtualSize);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.cursor.advance(offset, data.length);
    for (const run of nonZeroRuns(offset, data, ZERO_SCAN)) {
      const end = run.offset + run.data.length;
      let at = run.offset;
      while (at < end) {
        const block = Math.floor(at / BLOCK_SIZE);
        const within = at - block * BLOCK_SIZE;
        const length = Math.min(BLOCK_SIZE - within, end - at);
        const host = await this.blockHost(block);
        await this.file.write(host + within, run.data.subarray(at - run.offset, at - run.offset + length));
        at += length;
      }
    }
  }

  async finish(): Promise<void> {
    await this.bat.flush();
    await this.file.write(0, encodeFileIdentifier(TOOL_NAME));
    const fileWriteGuid = randomGuid();
    const dataWriteGuid = randomGuid();
    const header = { fileWriteGuid, dataWriteGuid, logOffset: LOG_OFFSET, logLength: LOG_LENGTH };
    await this.file.write(64 * KiB, encodeHeader({ ...header, sequenceNumber: 1n }));
    await this.file.write(128 * KiB, encodeHeader({ ...header, sequenceNumber: 2n }));
    const regions = encodeRegionTable([
      { guid: REGION_BAT, fileOffset: BAT_OFFSET, length: this.batLength },
      { guid: REGION_METADATA, fileOffset: METADATA_OFFSET, length: METADATA_LENGTH },
    ]);
    await this.file.write(192 * KiB, regions);
    await this.file.write(256 * KiB, regions);
    const metadata = encodeMetadata({
      blockSize: BLOCK_SIZE,
      virtualSize: this.virtualSize,
      diskId: randomGuid(),
      logicalSectorSize: SECTOR,
      physicalSectorSize: PHYSICAL_SECTOR,
    });
    await this.file.write(METADATA_OFFSET, metadata);
    // The last block and the BAT region must lie wholly inside the file, even where unwritten.
    await this.file.truncate(this.fileEnd);
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.discard();
  }

  private async blockHost(block: number): Promise<number> {
    if (block === this.currentBlock) return this.currentBlockHost;
    const host = this.fileEnd;
    this.fileEnd += BLOCK_SIZE;
    this.currentBlock = block;
    this.currentBlockHost = host;
    const entry = block + Math.floor(block / CHUNK_RATIO);
    await this.bat.set(entry, BigInt(host) | PAYLOAD_BLOCK_FULLY_PRESENT);
    return host;
  }
}
