/**
 * A real exFAT partition for the file-level restore tests: mkfs.exfat on a sparse file, mounted
 * through a loop device with exfat-fuse so files are written by a real exFAT driver.
 */
import { closeSync, mkdirSync, openSync, rmSync } from "node:fs";
import path from "node:path";
import { requireTool } from "./cli.js";
import { sh } from "./flr-fixtures.js";

/** Builds an exFAT file system of `size` bytes in `file`; `fill` writes into its mounted root. */
export function exfatPartition(file: string, size: number, fill: (root: string) => void): void {
  requireTool("mkfs.exfat", "exfatprogs");
  requireTool("losetup", "mount");
  requireTool("mount.exfat-fuse", "exfat-fuse");
  requireTool("umount", "mount");
  closeSync(openSync(file, "w"));
  sh("truncate", ["-s", String(size), file]);
  sh("mkfs.exfat", [file]);
  const mnt = `${file}.mnt`;
  mkdirSync(mnt, { recursive: true });
  const loop = sh("losetup", ["-f", "--show", file]).trim();
  try {
    sh("mount.exfat-fuse", [loop, mnt]);
    try {
      fill(mnt);
    } finally {
      sh("umount", [mnt]);
    }
  } finally {
    sh("losetup", ["-d", loop]);
    rmSync(mnt, { recursive: true, force: true });
  }
}

/** `path.join` for the mounted root, creating the parent folder. */
export function under(root: string, rel: string): string {
  const p = path.join(root, rel);
  mkdirSync(path.dirname(p), { recursive: true });
  return p;
}
