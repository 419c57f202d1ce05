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

/** How a failure to open is worded for the user: what the file is and where to look instead. */
export interface OpenWording {
  /** Put before the path in the message, e.g. "disk " (default: nothing). */
  noun?: string;
  /** The hint when the file is missing or unreadable for another reason. */
  checkHint?: string;
  /** The hint when permission is denied. */
  accessHint?: string;
}

/**
 * Opens an image (or device) for reading, turning the open's errno into a SnapferryError that says
 * what to do; every reader opens its files through here so a missing file reads the same.
 */
export async function openForReading(file: string, wording: OpenWording = {}): Promise<fs.FileHandle> {
  const noun = wording.noun ?? "";
  try {
    return await fs.open(file, "r");
  } catch (err) {
    const code = errnoCode(err);
    throw new SnapferryError(
      "source",
      code === "ENOENT"
        ? `${noun}${file} does not exist`
        : `cannot open ${noun}${file} (${code ?? String(err)})`,
      code === "EACCES"
        ? (wording.accessHint ?? "Run as a user that may read it.")
        : (wording.checkHint ?? "Check the path of the disk image."),
    );
  }
}

export class ImageFile {
  private constructor(
    readonly path: string,
    private readonly handle: fs.FileHandle,
    readonly size: number,
    /** Bytes the file takes on disk (holes not counted). */
    readonly allocatedBytes: number,
  ) {}

  static async open(file: string): Promise<ImageFile> {
    const handle = await openForReading(file);
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
