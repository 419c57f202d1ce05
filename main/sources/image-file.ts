/**
 * A raw disk image file or a block device as a backup source.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { SnapferryError, errnoCode } from "../common/errors.js";
import type { BackupSource, DiskSource } from "./disk-source.js";

/** The size of a block device, from sysfs (Linux); a file's size comes from stat. */
async function blockDeviceSize(rdev: number): Promise<number> {
  const major = Number((BigInt(rdev) >> 8n) & 0xfffn);
  const minor = Number((BigInt(rdev) & 0xffn) | ((BigInt(rdev) >> 12n) & ~0xffn));
  const sectors = await fs.readFile(`/sys/dev/block/${major}:${minor}/size`, "utf8");
  return Number(sectors.trim()) * 512;
}

export async function openImageSource(imagePath: string): Promise<BackupSource> {
  const absolute = path.resolve(imagePath);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(absolute, "r");
  } catch (err) {
    const code = errnoCode(err);
    throw new SnapferryError(
      "source",
      code === "ENOENT"
        ? `source ${imagePath} does not exist`
        : `cannot open source ${imagePath} (${code ?? String(err)})`,
      code === "EACCES" ? "Run as a user that may read it." : "Check the path of the disk image or device.",
    );
  }
  const stat = await handle.stat();
  if (stat.isDirectory()) {
    await handle.close();
    throw new SnapferryError(
      "source",
      `source ${imagePath} is a folder`,
      "Give a disk image file or a block device.",
    );
  }
  const size = stat.isBlockDevice() ? await blockDeviceSize(stat.rdev) : stat.size;
  const disk: DiskSource = {
    name: path.basename(absolute),
    size,
    async read(offset: number, buf: Buffer): Promise<void> {
      const length = buf.length;
      let done = 0;
      while (done < length) {
        const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
        if (bytesRead === 0) {
          throw new SnapferryError(
            "source",
            `source ${imagePath} ended at ${offset + done} bytes, expected ${size}`,
            "The image changed size during the backup; run it again.",
          );
        }
        done += bytesRead;
      }
    },
  };
  return {
    info: { kind: "image", location: absolute },
    consistency: "crash",
    fingerprint: `${size}:${stat.mtimeMs}:${stat.ino}`,
    disks: [disk],
    configFiles: {},
    close: () => handle.close(),
  };
}
