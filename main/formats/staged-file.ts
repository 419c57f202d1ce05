/**
 * The file a disk image writer produces. It is written under a temporary name in the target's
 * folder and renamed into place only once complete and synced, so a crash, a full disk or a
 * cancelled restore never leaves a half-written image where a hypervisor would pick it up.
 */
import { writeFully } from "../common/write-fully.js";
import { promises as fs } from "node:fs";
import path from "node:path";
import { SnapferryError, errnoCode, explainIoError } from "../common/errors.js";
import { fsyncDirectory } from "../repository/durable-fs.js";
import { BackgroundFlusher } from "../common/background-flusher.js";
import { pageAlignedBuffer } from "../workers/aligned-buffer.js";

/** Advice when the target's disk fills up (pruning the repository would not help). */
export const TARGET_FULL_HINT =
  "Free space on the disk that holds the target, or write the image to a larger one.";

/**
 * Image formats append metadata and data in small pieces (a 64 KiB grain, a 512-byte marker);
 * contiguous pieces are gathered up to this size so that each costs a copy, not a system call.
 */
const GATHER_LIMIT = 1024 * 1024;

/** The name a file is written under until it is complete; hidden, and recognisable as ours. */
export function partialPathFor(finalPath: string): string {
  return path.join(path.dirname(finalPath), `.${path.basename(finalPath)}.snapferry-partial`);
}

function targetError(err: unknown, finalPath: string): unknown {
  const explained = explainIoError(err, finalPath, TARGET_FULL_HINT);
  if (explained !== err) return explained;
  const code = errnoCode(err);
  if (code === "ENOENT") {
    return new SnapferryError(
      "target",
      `the folder of ${finalPath} does not exist`,
      "Create the folder first or choose another target.",
    );
  }
  if (code === "EACCES" || code === "EPERM" || code === "EROFS") {
    return new SnapferryError(
      "target",
      `cannot write ${finalPath} (${code})`,
      "Choose a folder you may write to, or run as a user who may.",
    );
  }
  if (code === "EFBIG") {
    return new SnapferryError(
      "target",
      `the file system that holds ${finalPath} cannot store a file this large`,
      "Write the image to a file system with large-file support (ext4, XFS, NTFS, APFS), not FAT32.",
    );
  }
  return err;
}

/**
 * The final rename would replace whatever is at the target path: a device node (/dev/sdb) would
 * silently become a file, so only a regular file, or nothing, may be there.
 */
async function refuseNonFile(finalPath: string): Promise<void> {
  let stat;
  try {
    stat = await fs.lstat(finalPath);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return;
    throw targetError(err, finalPath);
  }
  if (!stat.isFile()) {
    throw new SnapferryError(
      "target",
      `${finalPath} exists and is not a regular file`,
      stat.isBlockDevice()
        ? "Restore to a device as raw, which writes it in place; image formats are written to files."
        : "Choose a file name for the image.",
    );
  }
}

export class StagedImageFile {
  private state: "open" | "committed" | "discarded" = "open";
  private gathered: Buffer | undefined;
  private gatheredAt = 0;
  private gatheredLength = 0;
  private readonly flusher: BackgroundFlusher;

  private constructor(
    readonly finalPath: string,
    readonly partialPath: string,
    private readonly handle: fs.FileHandle,
  ) {
    this.flusher = new BackgroundFlusher(handle);
  }

  static async create(finalPath: string): Promise<StagedImageFile> {
    await refuseNonFile(finalPath);
    const partialPath = partialPathFor(finalPath);
    try {
      // "w" replaces a partial file a crashed run left behind: it can never be resumed.
      const handle = await fs.open(partialPath, "w");
      return new StagedImageFile(finalPath, partialPath, handle);
    } catch (err) {
      throw targetError(err, finalPath);
    }
  }

  /** Writes `data` at `position`. The caller may reuse `data` once the promise resolves. */
  async write(position: number, data: Uint8Array): Promise<void> {
    this.assertOpen();
    if (data.length === 0) return;
    const contiguous = this.gathered !== undefined && position === this.gatheredAt + this.gatheredLength;
    if (contiguous && this.gatheredLength + data.length <= GATHER_LIMIT && this.gathered) {
      this.gathered.set(data, this.gatheredLength);
      this.gatheredLength += data.length;
      return;
    }
    await this.flushGathered();
    if (data.length >= GATHER_LIMIT / 2) {
      await this.writeFully(position, data);
      return;
    }
    // Page-aligned, as chunk buffers are (see aligned-buffer.ts): the kernel's copy out of a
    // malloc'd buffer, 16 bytes past a page, is the slow case.
    this.gathered ??= pageAlignedBuffer(GATHER_LIMIT);
    this.gathered.set(data, 0);
    this.gatheredAt = position;
    this.gatheredLength = data.length;
  }

  /** Sets the file's size; growing it adds a hole, which reads as zeros and takes no space. */
  async truncate(size: number): Promise<void> {
    this.assertOpen();
    await this.flushGathered();
    try {
      await this.handle.truncate(size);
    } catch (err) {
      throw targetError(err, this.finalPath);
    }
  }

  /** Syncs the file, renames it to its final path and syncs the folder, so it survives a crash. */
  async commit(): Promise<void> {
    this.assertOpen();
    await this.flushGathered();
    try {
      await this.flusher.finish();
      await this.handle.close();
      this.state = "committed";
      await fs.rename(this.partialPath, this.finalPath);
      await fsyncDirectory(path.dirname(this.finalPath));
    } catch (err) {
      throw targetError(err, this.finalPath);
    }
  }

  /** Closes and removes the partial file; safe to call more than once, or after a failed commit. */
  async discard(): Promise<void> {
    if (this.state === "discarded") return;
    const wasOpen = this.state === "open";
    this.state = "discarded";
    if (wasOpen) await this.handle.close().catch(() => undefined);
    await fs.rm(this.partialPath, { force: true });
  }

  private assertOpen(): void {
    if (this.state !== "open") {
      throw new SnapferryError("internal", `${this.finalPath} was already ${this.state}`);
    }
  }

  private async flushGathered(): Promise<void> {
    if (!this.gathered || this.gatheredLength === 0) return;
    const length = this.gatheredLength;
    this.gatheredLength = 0;
    await this.writeFully(this.gatheredAt, this.gathered.subarray(0, length));
  }

  private async writeFully(position: number, data: Uint8Array): Promise<void> {
    try {
      await writeFully(this.handle, data, position);
      this.flusher.wrote(data.length);
    } catch (err) {
      throw targetError(err, this.finalPath);
    }
  }
}
