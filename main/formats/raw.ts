/**
 * Raw disk images and block devices. The allocation map comes from lseek(SEEK_DATA/SEEK_HOLE)
 * where the OS has it, so the holes of a sparse image are skipped without being read; elsewhere
 * (Windows, block devices) the whole disk counts as data and zero chunks are found by reading.
 */
import { promises as fs, type Stats } from "node:fs";
import path from "node:path";
import seek from "snapferry-seek-data";
import { SnapferryError } from "../common/errors.js";
import type { DiskImageReader, Extent, ImageInfo } from "./disk-image.js";
import { openForReading } from "./shared/image-file.js";

/** The size of a block device, from sysfs (Linux); a file's size comes from stat. */
async function blockDeviceSize(rdev: number): Promise<number> {
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
  const sectors = await fs.readFile(`/sys/dev/block/${major}:${minor}/size`, "utf8");
  return Number(sectors.trim()) * 512;
}

export async function openRaw(file: string): Promise<DiskImageReader> {
  const handle = await openForReading(file, { checkHint: "Check the path of the disk image or device." });
  const { stat, size } = await measure(handle, file).catch(async (err: unknown) => {
    await handle.close();
    throw err;
  });
  const device = stat.isBlockDevice();
  const info: ImageInfo = {
    format: "raw",
    variant: device ? "block device" : "file",
    virtualSize: size,
    chain: [
      {
        path: file,
        format: "raw",
        variant: device ? "block device" : "file",
        virtualSize: size,
        fileSize: stat.blocks * 512,
      },
    ],
  };
  return {
    info,
    virtualSize: size,
    allocation: () => (device || !seek.supported ? wholeDisk(size) : sparseExtents(handle.fd, size)),
    read: (offset, target) => readFully(handle, file, offset, target, size),
    close: () => handle.close(),
  };
}

async function measure(handle: fs.FileHandle, file: string): Promise<{ stat: Stats; size: number }> {
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    throw new SnapferryError("source", `${file} is a folder`, "Give a disk image file or a block device.");
  }
  return { stat, size: stat.isBlockDevice() ? await blockDeviceSize(stat.rdev) : stat.size };
}

async function* wholeDisk(size: number): AsyncIterable<Extent> {
  if (size > 0) yield { offset: 0, length: size, kind: "data" };
}

async function* sparseExtents(fd: number, size: number): AsyncIterable<Extent> {
  let at = 0;
  while (at < size) {
    const data = seek.seekData(fd, at);
    if (data < 0 || data >= size) {
      yield { offset: at, length: size - at, kind: "zero" };
      return;
    }
    if (data > at) yield { offset: at, length: data - at, kind: "zero" };
    const hole = Math.min(seek.seekHole(fd, data), size);
    yield { offset: data, length: hole - data, kind: "data" };
    at = hole;
  }
}

async function readFully(
  handle: fs.FileHandle,
  file: string,
  offset: number,
  target: Buffer,
  size: number,
): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, offset + done);
    if (bytesRead === 0) {
      throw new SnapferryError(
        "source",
        `${path.basename(file)} ended at ${offset + done} bytes, expected ${size}`,
        "The image changed size while it was read; run the backup again.",
      );
    }
    done += bytesRead;
  }
}
