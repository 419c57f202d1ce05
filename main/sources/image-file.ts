/**
 * A disk image file or a block device as a backup source.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { openRaw } from "../formats/raw.js";
import type { BackupSource } from "./disk-source.js";

export async function openImageSource(imagePath: string): Promise<BackupSource> {
  const absolute = path.resolve(imagePath);
  const reader = await openRaw(absolute);
  const stat = await fs.stat(absolute);
  return {
    info: { kind: "image", location: absolute },
    consistency: "crash",
    fingerprint: `${reader.virtualSize}:${stat.mtimeMs}:${stat.ino}`,
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
