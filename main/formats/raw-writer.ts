/**
 * Writes a sparse raw image: the file is created at the full virtual size as one hole, and only
 * the non-zero parts of each write reach the disk, so holes in the source stay holes.
 */
import type { DiskImageWriter, WriteFormat } from "./disk-image.js";
import { StagedImageFile } from "./staged-file.js";
import { WriteCursor } from "./write-checks.js";
import { nonZeroRuns } from "./zero-runs.js";

/**
 * Zeros are looked for in pieces of this size: small enough to keep a mostly-empty megabyte
 * sparse, large enough that the search costs little next to the write.
 */
const ZERO_SCAN = 64 * 1024;

export class RawImageWriter implements DiskImageWriter {
  private readonly cursor: WriteCursor;

  private constructor(
    private readonly file: StagedImageFile,
    virtualSize: number,
    readonly format: WriteFormat,
  ) {
    this.cursor = new WriteCursor(virtualSize);
  }

  /** `format` lets a VMDK flat writer reuse this for its data file. */
  static async create(
    path: string,
    virtualSize: number,
    format: WriteFormat = "raw",
  ): Promise<RawImageWriter> {
    const file = await StagedImageFile.create(path);
    try {
      await file.truncate(virtualSize);
    } catch (err) {
      await file.discard();
      throw err;
    }
    return new RawImageWriter(file, virtualSize, format);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.cursor.advance(offset, data.length);
    for (const run of nonZeroRuns(offset, data, ZERO_SCAN)) await this.file.write(run.offset, run.data);
  }

  finish(): Promise<void> {
    return this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.discard();
  }
}
