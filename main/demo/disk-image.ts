/**
 * Generates disk images with a real ext4 file system (mkfs.ext4 -d), for the demo and the tests.
 * The same seed gives the same file contents, layout and file system ids on every machine; the
 * images are not byte-identical from run to run, because mkfs copies each staged file's change
 * time into its inode. Tests compare a restore with its own source, so that does not matter; the
 * benchmark, which needs identical images, resets those times with debugfs (bench/image.ts).
 */
import { execFileSync } from "node:child_process";
import { createCipheriv, createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { SnapferryError } from "../common/errors.js";

/** A deterministic byte stream: AES-128-CTR over zeros, keyed by the seed. */
export class SeededBytes {
  private readonly cipher;
  private state: number;
  constructor(seed: string) {
    const key = createHash("sha256").update(seed).digest();
    this.cipher = createCipheriv("aes-128-ctr", key.subarray(0, 16), key.subarray(16, 32));
    this.state = key.readUInt32LE(0) || 1;
  }

  /** Incompressible bytes. */
  bytes(n: number): Buffer {
    return this.cipher.update(Buffer.alloc(n));
  }

  /** A pseudo-random integer in [0, max), from a xorshift generator seeded alongside. */
  int(max: number): number {
    let x = this.state;
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    this.state = x >>> 0;
    return this.state % max;
  }
}

const SYLLABLES = "ka lo mi ra ne to su vi de pa go ri an el on us ter mal vor sen dit cal bri".split(" ");

/** Text that compresses like prose or logs (a few times over, not infinitely). */
export function seededText(rng: SeededBytes, n: number): Buffer {
  const words: string[] = [];
  for (let i = 0; i < 4000; i++) {
    let w = "";
    for (let s = 1 + rng.int(3); s > 0; s--) w += SYLLABLES[rng.int(SYLLABLES.length)];
    words.push(w);
  }
  const parts: string[] = [];
  let size = 0;
  while (size < n) {
    const line = `${Array.from({ length: 6 + rng.int(10) }, () => words[rng.int(words.length)]).join(" ")} ${rng.int(100000)}.\n`;
    parts.push(line);
    size += line.length;
  }
  return Buffer.from(parts.join(""), "latin1").subarray(0, n);
}

export interface Ext4ImageSpec {
  sizeBytes: number;
  seed: string;
  textBytes: number;
  randomBytes: number;
  /** Largest file written; content is split into files of up to this size. */
  fileBytes?: number;
}

export function requireMkfsExt4(): void {
  try {
    execFileSync("mkfs.ext4", ["-V"], { stdio: "ignore" });
  } catch {
    throw new SnapferryError(
      "internal",
      "mkfs.ext4 is needed to generate disk images",
      "Install it: apt-get install e2fsprogs.",
    );
  }
}

/**
 * Writes an image of `sizeBytes` holding an ext4 file system with text and random files; the rest
 * of the file system is empty (zeros on disk, since mkfs.ext4 -d writes a fresh image).
 */
export function makeExt4Image(file: string, spec: Ext4ImageSpec): void {
  requireMkfsExt4();
  const staging = mkdtempSync(path.join(path.dirname(file), ".stage-"));
  try {
    const rng = new SeededBytes(spec.seed);
    const fileBytes = spec.fileBytes ?? 4 * 1024 * 1024;
    writeFiles(path.join(staging, "docs"), spec.textBytes, fileBytes, (n) => seededText(rng, n));
    writeFiles(path.join(staging, "media"), spec.randomBytes, fileBytes, (n) => rng.bytes(n));
    rmSync(file, { force: true });
    execFileSync("truncate", ["-s", String(spec.sizeBytes), file]);
    execFileSync(
      "mkfs.ext4",
      [
        "-q",
        "-F",
        "-b",
        "4096",
        "-U",
        "5e1f3a3c-0000-4000-8000-000000000001",
        "-E",
        "hash_seed=5e1f3a3c-0000-4000-8000-000000000002,lazy_itable_init=0,root_owner=0:0",
        "-d",
        staging,
        file,
      ],
      { env: { ...process.env, E2FSPROGS_FAKE_TIME: "1700000000" }, stdio: ["ignore", "ignore", "pipe"] },
    );
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
}

function writeFiles(dir: string, total: number, fileBytes: number, content: (n: number) => Buffer): void {
  mkdirSync(dir, { recursive: true });
  let left = total;
  for (let i = 0; left > 0; i++) {
    const n = Math.min(left, fileBytes);
    const file = path.join(dir, `file-${String(i).padStart(5, "0")}.dat`);
    writeFileSync(file, content(n));
    utimesSync(file, 1700000000, 1700000000);
    left -= n;
  }
  utimesSync(dir, 1700000000, 1700000000);
}
