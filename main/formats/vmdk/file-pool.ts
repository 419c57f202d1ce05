/**
 * The files of one VMDK chain, read with positional reads. A twoGbMaxExtent disk of a few TB has
 * hundreds of extent files, more than a process may keep open, so at most `maxOpen` handles stay
 * open and the least recently used idle one is closed when another is needed.
 */
import { promises as fs } from "node:fs";
import { errnoCode } from "../../common/errors.js";
import { ImageFormatError } from "../image-error.js";

const TRUNCATED_HINT = "The file is incomplete or damaged: copy it again from its source.";

export class PooledFile {
  handle: Promise<fs.FileHandle> | undefined;
  busy = 0;

  constructor(
    private readonly pool: FilePool,
    readonly path: string,
    readonly size: number,
    /** Bytes the file takes on disk (holes not counted). */
    readonly diskBytes: number,
  ) {}

  /** Fills `target` from `position`; `what` names the structure for the error if it lies past EOF. */
  async read(target: Buffer, position: number, what = "data"): Promise<void> {
    this.check(position, target.length, what);
    if (target.length === 0) return;
    const handle = await this.open();
    try {
      let done = 0;
      while (done < target.length) {
        const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
        if (bytesRead === 0) {
          throw new ImageFormatError(this.path, `ended at byte ${position + done} while reading ${what}`);
        }
        done += bytesRead;
      }
    } catch (err) {
      if (err instanceof ImageFormatError) throw err;
      throw new ImageFormatError(this.path, `cannot be read (${errnoCode(err) ?? String(err)})`);
    } finally {
      this.pool.release(this);
    }
  }

  /** Runs `fn` with the open file descriptor (for lseek), keeping the handle open meanwhile. */
  async withFd<T>(fn: (fd: number) => T): Promise<T> {
    const handle = await this.open();
    try {
      return fn(handle.fd);
    } finally {
      this.pool.release(this);
    }
  }

  /** The pool's handle for this file; release it with `pool.release`. */
  private async open(): Promise<fs.FileHandle> {
    try {
      return await this.pool.acquire(this);
    } catch (err) {
      const code = errnoCode(err);
      if (code === undefined) throw err;
      throw new ImageFormatError(
        this.path,
        `cannot be opened (${code})`,
        "Check that the file is still there.",
      );
    }
  }

  /** Throws unless [position, position + length) lies inside the file. */
  check(position: number, length: number, what: string): void {
    if (!Number.isSafeInteger(position) || !Number.isSafeInteger(length) || position < 0 || length < 0) {
      throw new ImageFormatError(
        this.path,
        `${what} has an impossible position (${position}, ${length} bytes)`,
      );
    }
    if (position + length > this.size) {
      throw new ImageFormatError(
        this.path,
        `${what} at byte ${position} (${length} bytes) lies past the end of the file (${this.size} bytes)`,
        TRUNCATED_HINT,
      );
    }
  }
}

export class FilePool {
  private readonly files = new Map<string, PooledFile>();
  /** Open handles not in use, oldest first: the ones to close when over the limit. */
  private readonly idle = new Set<PooledFile>();
  private openCount = 0;
  private closed = false;

  constructor(private readonly maxOpen = 32) {}

  /** The file at `file` (an absolute path), checked to exist and to be a regular file. */
  async get(file: string): Promise<PooledFile> {
    const known = this.files.get(file);
    if (known) return known;
    let stat;
    try {
      stat = await fs.stat(file);
    } catch (err) {
      const code = errnoCode(err);
      throw new ImageFormatError(
        file,
        code === "ENOENT" ? "does not exist" : `cannot be opened (${code ?? String(err)})`,
        code === "EACCES"
          ? "Run as a user that may read it."
          : "Check that every file of the disk was copied.",
      );
    }
    if (!stat.isFile()) throw new ImageFormatError(file, "is not a regular file", "Give a disk image file.");
    const pooled = new PooledFile(this, file, stat.size, stat.blocks * 512);
    this.files.set(file, pooled);
    return pooled;
  }

  async acquire(file: PooledFile): Promise<fs.FileHandle> {
    if (this.closed) throw new Error(`${file.path}: the image was closed`);
    file.busy++;
    this.idle.delete(file);
    if (!file.handle) {
      file.handle = fs.open(file.path, "r");
      this.openCount++;
      this.evict();
    }
    const opening = file.handle;
    try {
      return await opening;
    } catch (err) {
      file.busy--;
      if (file.handle === opening) {
        file.handle = undefined;
        this.openCount--;
      }
      throw err;
    }
  }

  release(file: PooledFile): void {
    file.busy--;
    if (file.busy === 0 && file.handle) {
      this.idle.add(file);
      this.evict();
    }
  }

  async closeAll(): Promise<void> {
    this.closed = true;
    const handles = [...this.files.values()].flatMap((f) => (f.handle ? [f.handle] : []));
    this.files.clear();
    this.idle.clear();
    this.openCount = 0;
    await Promise.allSettled(handles.map(async (h) => (await h).close()));
  }

  private evict(): void {
    for (const file of this.idle) {
      if (this.openCount <= this.maxOpen) return;
      this.idle.delete(file);
      const handle = file.handle;
      file.handle = undefined;
      this.openCount--;
      if (handle) handle.then((h) => h.close()).catch(() => undefined);
    }
  }
}
