/**
 * Where a restored disk goes: a sparse raw file, a block device, or (through a format writer) a
 * VMDK, qcow2 or VHDX file. Every target receives chunks in increasing offset order and is
 * complete only after `finish`; until then a file target lives under a temporary name.
 */
import { writeFully } from "../common/write-fully.js";
import { promises as fs } from "node:fs";
import { SnapferryError, errnoCode, explainIoError } from "../common/errors.js";
import type { WriteFormat } from "../formats/disk-image.js";
import { createDiskImageWriter } from "../formats/writers.js";
import { partialPathFor } from "../formats/staged-file.js";
import { BackgroundFlusher } from "../common/background-flusher.js";

/** Advice when the target's disk fills up (the repository's own advice, to prune, would not help). */
export const TARGET_FULL_HINT = "Free space on the disk that holds the target, or restore to a larger one.";

export interface RestoreTarget {
  /** Holes on a block device must be written as zeros: the device holds old data. */
  readonly writeHoles: boolean;
  /** Once the promise resolves, `data` is the caller's again: restores reuse chunk buffers. */
  write(position: number, data: Buffer): Promise<void>;
  finish(): Promise<void>;
  discard(): Promise<void>;
}

function handleTarget(
  handle: fs.FileHandle,
  writeHoles: boolean,
  commit: () => Promise<void>,
  discard: () => Promise<void>,
): RestoreTarget {
  const flusher = new BackgroundFlusher(handle);
  return {
    writeHoles,
    async write(position, data) {
      await writeFully(handle, data, position);
      flusher.wrote(data.length);
    },
    async finish() {
      await flusher.finish();
      await commit();
    },
    discard,
  };
}

/** Checks the target path: a block device is written in place, a file is created (or replaced). */
export async function openRawTarget(
  targetPath: string,
  size: number,
  overwrite: boolean,
): Promise<RestoreTarget> {
  const stat = await existing(targetPath, overwrite);
  if (stat?.isBlockDevice()) {
    const handle = await fs.open(targetPath, "r+");
    return handleTarget(
      handle,
      true,
      () => handle.close(),
      () => handle.close().catch(() => undefined),
    );
  }
  const partial = partialPathFor(targetPath);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(partial, "w");
    // A new file of the full size is all hole: chunks that are holes are simply not written.
    await handle.truncate(size);
  } catch (err) {
    throw explainIoError(err, targetPath, TARGET_FULL_HINT);
  }
  return handleTarget(
    handle,
    false,
    async () => {
      await handle.close();
      await fs.rename(partial, targetPath);
    },
    async () => {
      await handle.close().catch(() => undefined);
      await fs.rm(partial, { force: true });
    },
  );
}

/** Refuses a folder, and an existing file unless `overwrite`; returns what is there, if anything. */
export async function existing(
  targetPath: string,
  overwrite: boolean,
): Promise<import("node:fs").Stats | undefined> {
  let stat;
  try {
    stat = await fs.stat(targetPath);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
    return undefined;
  }
  if (stat.isDirectory()) {
    throw new SnapferryError(
      "target",
      `target ${targetPath} is a folder`,
      "Give a file name for the restored disk.",
    );
  }
  if (!stat.isBlockDevice() && !overwrite) {
    throw new SnapferryError(
      "target",
      `target ${targetPath} already exists`,
      "Remove it, choose another name, or pass --overwrite.",
    );
  }
  return stat;
}

/** A VMDK, qcow2 or VHDX file, written by its format's writer (holes stay holes). */
export async function openFormatTarget(
  targetPath: string,
  size: number,
  format: WriteFormat,
  overwrite: boolean,
): Promise<RestoreTarget> {
  const stat = await existing(targetPath, overwrite);
  if (stat?.isBlockDevice()) {
    throw new SnapferryError(
      "target",
      `target ${targetPath} is a block device; a ${format} image must go to a file`,
      "Restore to a device without --format, or give a file name.",
    );
  }
  const writer = await createDiskImageWriter(format, targetPath, size);
  return {
    writeHoles: false,
    write: (position, data) => writer.write(position, data),
    finish: () => writer.finish(),
    discard: () => writer.abort(),
  };
}
