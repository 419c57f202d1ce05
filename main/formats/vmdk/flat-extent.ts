/**
 * Flat extents (monolithicFlat, twoGbMaxExtentFlat, ESXi "-flat.vmdk" of vmfs and vmfsThin disks)
 * hold the disk's bytes as they are, from an offset in the file; ZERO extents hold nothing. A
 * thin disk copied off a datastore is a sparse file, so its allocation map comes from the file's
 * holes (lseek SEEK_DATA/SEEK_HOLE) where the OS can tell them; elsewhere all of it is data.
 */
import seek from "snapferry-seek-data";
import { ImageFormatError } from "../image-error.js";
import type { Run, VmdkExtent } from "./extent.js";
import type { PooledFile } from "./file-pool.js";

export class FlatExtent implements VmdkExtent {
  private constructor(
    private readonly file: PooledFile,
    private readonly start: number,
    readonly length: number,
  ) {}

  static open(file: PooledFile, start: number, length: number, descriptor: string): FlatExtent {
    if (start + length > file.size) {
      throw new ImageFormatError(
        descriptor,
        `flat extent ${file.path} is ${file.size} bytes, but the descriptor needs ${start + length}`,
        "The extent file is truncated or is not the one this descriptor belongs to: copy it again.",
      );
    }
    return new FlatExtent(file, start, length);
  }

  async *runs(offset: number, length: number): AsyncIterable<Run> {
    const end = offset + length;
    let at = offset;
    while (at < end) {
      const from = at;
      const next = seek.supported
        ? await this.file.withFd((fd) => nextRegion(fd, this.start + from, this.start + end))
        : undefined;
      const stop = next && next.end > this.start + at ? next.end - this.start : end;
      yield { offset: at, length: stop - at, kind: next?.kind ?? "data" };
      at = stop;
    }
  }

  read(offset: number, target: Buffer): Promise<void> {
    return this.file.read(target, this.start + offset, "flat extent data");
  }
}

/** The region of the file that starts at `position`: data or hole, and where it ends. */
function nextRegion(fd: number, position: number, limit: number): { kind: "data" | "zero"; end: number } {
  try {
    const data = seek.seekData(fd, position);
    if (data < 0 || data >= limit) return { kind: "zero", end: limit };
    if (data > position) return { kind: "zero", end: data };
    return { kind: "data", end: Math.min(seek.seekHole(fd, position), limit) };
  } catch {
    // A file system that cannot answer (some network ones) gets the safe answer: all data.
    return { kind: "data", end: limit };
  }
}

export class ZeroExtent implements VmdkExtent {
  constructor(readonly length: number) {}

  async *runs(offset: number, length: number): AsyncIterable<Run> {
    yield { offset, length, kind: "zero" };
  }

  async read(_offset: number, target: Buffer): Promise<void> {
    target.fill(0);
  }
}
