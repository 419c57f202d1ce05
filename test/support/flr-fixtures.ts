/**
 * Disk images with real partition tables and real file systems for the file-level restore tests,
 * built with the tools an admin would use: sfdisk for the table, mkfs.ext4 -d, mkfs.fat + mcopy,
 * mkntfs + ntfscp for the file systems (each built on its own file, then copied in at its offset
 * with its zero blocks skipped, so the images stay sparse and small).
 */
import { spawnSync } from "node:child_process";
import { closeSync, openSync, readSync, writeSync, writeFileSync, mkdirSync, utimesSync } from "node:fs";
import path from "node:path";
import { requireTool } from "./cli.js";

export const MiB = 1024 * 1024;
export const GPT_LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";
export const GPT_BASIC_DATA = "EBD0A0A2-B9E5-4433-87C0-68B6B72699C7";
export const GPT_EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";

export function sh(cmd: string, args: string[], env: Record<string, string> = {}): string {
  const r = spawnSync(cmd, args, { encoding: "utf8", env: { ...process.env, ...env } });
  if (r.status !== 0)
    throw new Error(`${cmd} ${args.join(" ")} failed (${r.status}): ${r.stderr}${r.stdout}`);
  return r.stdout;
}

/** Writes a file with known bytes and a known modification time. */
export function writeSource(file: string, data: Buffer | string, mtime: Date): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, data);
  utimesSync(file, mtime, mtime);
}

function blank(file: string, size: number): void {
  closeSync(openSync(file, "w"));
  sh("truncate", ["-s", String(size), file]);
}

export function ext4Partition(file: string, size: number, srcDir: string): void {
  requireTool("mkfs.ext4", "e2fsprogs");
  blank(file, size);
  sh("mkfs.ext4", ["-q", "-F", "-d", srcDir, file]);
}

/** FAT32 needs at least ~33 MiB; smaller sizes get FAT16. `srcDir`'s contents go to the root. */
export function fatPartition(file: string, size: number, srcDir: string, bits: 16 | 32 = 32): void {
  requireTool("mkfs.fat", "dosfstools");
  requireTool("mcopy", "mtools");
  blank(file, size);
  sh("mkfs.fat", ["-F", String(bits), file]);
  sh(
    "mcopy",
    [
      "-i",
      file,
      "-s",
      "-m",
      "-Q",
      ...sh("ls", ["-A", srcDir])
        .trim()
        .split("\n")
        .map((n) => path.join(srcDir, n)),
      "::/",
    ],
    {
      MTOOLS_SKIP_CHECK: "1",
    },
  );
}

/** NTFS with the given files copied to its root (ntfscp cannot keep modification times). */
export function ntfsPartition(file: string, size: number, files: { name: string; from: string }[]): void {
  requireTool("mkntfs", "ntfs-3g");
  requireTool("ntfscp", "ntfs-3g");
  blank(file, size);
  sh("mkntfs", ["-F", "-Q", "-q", file]);
  for (const f of files) sh("ntfscp", ["-f", file, f.from, f.name]);
}

export interface PartSpec {
  /** The partition's bytes, or undefined for an extended partition container. */
  file?: string;
  start: number;
  size: number;
  /** sfdisk type: "83", "c", "5", or a GPT GUID. */
  type: string;
  name?: string;
}

/** A disk image with an sfdisk-written table ("dos" or "gpt") and the partitions copied in. */
export function assembleDisk(image: string, size: number, label: "dos" | "gpt", parts: PartSpec[]): void {
  requireTool("sfdisk", "fdisk");
  blank(image, size);
  const lines = [`label: ${label}`, "unit: sectors", ""];
  for (const p of parts) {
    lines.push(
      `start=${p.start / 512}, size=${p.size / 512}, type=${p.type}${p.name ? `, name="${p.name}"` : ""}`,
    );
  }
  const r = spawnSync("sfdisk", ["--no-reread", "--no-tell-kernel", "-q", image], {
    input: lines.join("\n") + "\n",
  });
  if (r.status !== 0) throw new Error(`sfdisk failed: ${r.stderr.toString()}`);
  for (const p of parts) if (p.file) copyInto(p.file, image, p.start);
}

/**
 * A GPT disk with 4096-byte logical sectors, as a 4Kn VHDX presents, with one Linux partition:
 * written by fdisk -b 4096 (sfdisk here has no sector-size option), so the header sits at byte
 * 4096 and every LBA counts 4 KiB.
 */
export function assemble4KnGptDisk(
  image: string,
  size: number,
  part: { file: string; start: number; size: number },
): void {
  requireTool("fdisk", "fdisk");
  blank(image, size);
  const script = ["g", "n", "1", String(part.start / 4096), `+${part.size / MiB}M`, "w", ""].join("\n");
  const r = spawnSync("fdisk", ["-b", "4096", image], { input: script });
  if (r.status !== 0) throw new Error(`fdisk failed: ${r.stderr.toString()}`);
  copyInto(part.file, image, part.start);
}

/** Copies `from` into `to` at `offset`, skipping all-zero blocks so `to` stays sparse. */
function copyInto(from: string, to: string, offset: number): void {
  const src = openSync(from, "r");
  const dst = openSync(to, "r+");
  const block = Buffer.alloc(MiB);
  const zero = Buffer.alloc(MiB);
  try {
    for (let at = 0; ; at += MiB) {
      const n = readSync(src, block, 0, MiB, at);
      if (n === 0) break;
      if (!block.subarray(0, n).equals(zero.subarray(0, n))) writeSync(dst, block, 0, n, offset + at);
    }
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}
