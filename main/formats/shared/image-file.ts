/**
 * An image file opened for positional reads, where every read of metadata is checked against the
 * file's size first: a table that points past the end becomes an ImageFormatError naming the
 * table, never a short read, a huge allocation or a silent run of zeros.
 */
import { promises as fs } from "node:fs";
import { SnapferryError, errnoCode } from "../../common/errors.js";
import { ImageFormatError } from "../image-error.js";

/** No single metadata structure of a supported format is larger; bigger claims are corruption. */
export const MAX_METADATA_READ = 64 * 1024 * 1024;

export class ImageFile {
  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    readonly size: number,
    /** Bytes the file takes on disk (holes not counted). */
    readonly allocatedBytes: number,
  ) {}

  static async open(file: string): Promise<ImageFile> {
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, "r");
    } catch (err) {
      const code = errnoCode(err);
      throw new SnapferryError(
        "source",
        code === "ENOENT" ? `${file} does not exist` : `cannot open ${file} (${code ?? String(err)})`,
        code === "EACCES" ? "Run as a user that may read it." : "Check the path of the disk image.",
      );
    }
    try {
      const stat = await handle.stat();
      if (!stat.isFile())
        throw new ImageFormatError(file, "is not a regular file", "Give a disk image file.");
      return new ImageFile(file, handle, stat.size, stat.blocks * 512);
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  /** Throws unless [offset, offset + length) lies inside the file; `what` names the structure. */
  check(offset: number, length: number, what: string): void {
    if (!Number.isInteger(offset) || !Number.isInteger(length) || offset < 0 || length < 0) {
      throw new ImageFormatError(
        this.path,
        `${what} has an impossible position (${offset}, ${length} bytes)`,
      );
    }
    if (offset + length > this.size) {
      throw new ImageFormatError(
        this.path,
        `${what} at offset ${offset} (${length} bytes) lies past the end of the file (${this.size} bytes)`,
        "The file is truncated or its tables are damaged; copy it again from the original.",
      );
    }
  }

  /** Reads a metadata structure of bounded size. */
  async read(offset: number, length: number, what: string): Promise<Buffer> {
    if (length > MAX_METADATA_READ) {
      throw new ImageFormatError(this.path, `${what} claims ${length} bytes, more than any valid image has`);
    }
    this.check(offset, length, what);
    const buffer = Buffer.alloc(length);
    await this.readInto(buffer, offset, what);
    return buffer;
  }

  /** Fills `target` from `offset`, after checking the range lies inside the file. */
  async readInto(target: Buffer, offset: number, what: string): Promise<void> {
    this.check(offset, target.length, what);
    let done = 0;
    while (done < target.length) {
      const { bytesRead } = await this.handle.read(target, done, target.length - done, offset + done);
      if (bytesRead === 0) {
        throw new ImageFormatError(this.path, `the file shrank while it was read (${what} at ${offset})`);
      }
      done += bytesRead;
    }
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
