/**
 * Opens a disk image of any known format: the format is recognised from the file's first and last
 * bytes, never from its name (a .img may be qcow2, a .vhd may be a VHDX). Only the reader of the
 * format found is loaded (see detect.ts).
 */
import { promises as fs } from "node:fs";
import { looksLikeQcow2, looksLikeVhd, looksLikeVhdx, looksLikeVmdk } from "./detect.js";
import type { DiskImageReader } from "./disk-image.js";

export type ReadFormat = "raw" | "vmdk" | "qcow2" | "vhdx" | "vhd";

const PROBE_SIZE = 4096;

/** Reads the start and the end of a file, to recognise its format. */
async function probe(file: string): Promise<{ head: Buffer; tail: Buffer; isFile: boolean }> {
  const handle = await fs.open(file, "r");
  try {
    const stat = await handle.stat();
    const head = Buffer.alloc(PROBE_SIZE);
    const { bytesRead } = await handle.read(head, 0, PROBE_SIZE, 0);
    const tail = Buffer.alloc(512);
    if (stat.isFile() && stat.size >= 512) await handle.read(tail, 0, 512, stat.size - 512);
    return { head: head.subarray(0, bytesRead), tail, isFile: stat.isFile() };
  } finally {
    await handle.close();
  }
}

export async function detectFormat(file: string): Promise<ReadFormat> {
  const { head, tail, isFile } = await probe(file);
  if (!isFile) return "raw";
  if (looksLikeQcow2(head)) return "qcow2";
  if (looksLikeVhdx(head)) return "vhdx";
  if (looksLikeVmdk(head)) return "vmdk";
  if (looksLikeVhd(head, tail)) return "vhd";
  return "raw";
}

export async function openDiskImage(file: string, format?: ReadFormat): Promise<DiskImageReader> {
  switch (format ?? (await detectFormat(file))) {
    case "qcow2": {
      const { openQcow2 } = await import("./qcow2/index.js");
      return openQcow2(file, (backing, backingFormat) => openDiskImage(backing, asReadFormat(backingFormat)));
    }
    case "vhdx": {
      const { openVhdx } = await import("./vhdx/index.js");
      return openVhdx(file, (parent) => openDiskImage(parent));
    }
    case "vmdk": {
      const { openVmdk } = await import("./vmdk/index.js");
      return openVmdk(file);
    }
    case "vhd": {
      const { openVhd } = await import("./vhd/index.js");
      return openVhd(file, (parent) => openDiskImage(parent));
    }
    case "raw": {
      const { openRaw } = await import("./raw.js");
      return openRaw(file);
    }
  }
}

function asReadFormat(name: string | undefined): ReadFormat | undefined {
  return name === "raw" || name === "vmdk" || name === "qcow2" || name === "vhdx" || name === "vhd"
    ? name
    : undefined;
}
