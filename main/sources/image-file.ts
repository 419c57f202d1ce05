/**
 * A disk image (raw, VMDK with its snapshot chain, qcow2, VHDX, VHD) or a block device as a
 * backup source. The image's allocation map lets the backup skip unallocated space unread.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { openDiskImage } from "../formats/open-image.js";
import type { BackupSource } from "./disk-source.js";

export async function openImageSource(imagePath: string): Promise<BackupSource> {
  const absolute = path.resolve(imagePath);
  const reader = await openDiskImage(absolute);
  // Every layer of a chain counts: a change to a parent changes the disk too.
  const stamps = await layerStamps(reader.info.chain).catch(async (err: unknown) => {
    await reader.close();
    throw err;
  });
  return {
    info: { kind: "image", location: absolute },
    consistency: "crash",
    fingerprint: `${reader.info.format}:${reader.virtualSize}:${stamps.join("/")}`,
    disks: [
      {
        name: path.basename(absolute),
        size: reader.virtualSize,
        read: (offset, target) => reader.read(offset, target),
        allocation: () => reader.allocation(),
      },
    ],
    configFiles: {},
    close: () => reader.close(),
  };
}

async function layerStamps(chain: readonly { path: string }[]): Promise<string[]> {
  const stamps: string[] = [];
  for (const layer of chain) {
    const stat = await fs.stat(layer.path);
    stamps.push(`${stat.size}:${stat.mtimeMs}:${stat.ino}`);
  }
  return stamps;
}
