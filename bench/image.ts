/**
 * The benchmark's input: a deterministic raw disk image holding an ext4 file system with
 * "real-looking" files, its "next day" version and the changed-ranges file between the two.
 *
 * Generating takes about 40 s at 2 GiB, so the result is cached under bench/out/images/, keyed by
 * GENERATOR_VERSION and the image size. Bump GENERATOR_VERSION whenever anything that shapes the
 * bytes changes (content.ts, the layout below, churn.ts), or old caches will be reused.
 *
 * Two runs give byte-identical images (manifest.json records their sha256) as long as the user is
 * the same: mkfs.ext4 -d copies owners from the staging files; times, modes, UUIDs and the hash
 * seed are all fixed here.
 */
import { execFileSync } from "node:child_process";
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readFileSync,
  readdirSync,
  rmSync,
  utimesSync,
  writeFileSync,
} from "node:fs";
import path from "node:path";
import { SeededBytes, requireMkfsExt4 } from "../main/demo/disk-image.js";
import { makeNextDay, type ChurnSummary } from "./churn.js";
import { generate, logUniform, type ContentKind } from "./content.js";

export const GENERATOR_VERSION = 5;

const MiB = 1024 * 1024;
export const FULL_IMAGE_BYTES = 2048 * MiB;
export const QUICK_IMAGE_BYTES = 256 * MiB;

/** What one category of files looks like at full size (2 GiB image); smaller images scale it down. */
interface Category {
  kind: ContentKind;
  dir: string;
  bytes: number;
  /** File sizes are drawn log-uniformly in [minFile, maxFile]: many small files, a few big ones. */
  minFile: number;
  maxFile: number;
}

/** ~700 MiB of mixed files plus ~200 MiB of incompressible media; the rest of the disk stays empty. */
const LAYOUT: Category[] = [
  { kind: "logs", dir: "var/log", bytes: 180 * MiB, minFile: 256 * 1024, maxFile: 32 * MiB },
  { kind: "source", dir: "usr/src", bytes: 110 * MiB, minFile: 1024, maxFile: 96 * 1024 },
  { kind: "json", dir: "srv/data", bytes: 110 * MiB, minFile: 64 * 1024, maxFile: 8 * MiB },
  { kind: "binary", dir: "usr/lib", bytes: 220 * MiB, minFile: 16 * 1024, maxFile: 24 * MiB },
  { kind: "prose", dir: "home/user/docs", bytes: 80 * MiB, minFile: 4096, maxFile: 2 * MiB },
  { kind: "media", dir: "home/user/media", bytes: 200 * MiB, minFile: 512 * 1024, maxFile: 48 * MiB },
];

export interface Manifest {
  generatorVersion: number;
  sizeBytes: number;
  files: number;
  fileBytes: Record<string, number>;
  churn: ChurnSummary;
  sha256: { base: string; next: string };
}

export interface BenchImages {
  base: string;
  next: string;
  changedRanges: string;
  manifest: Manifest;
  /** False when this call generated them. */
  cached: boolean;
}

/** Returns the cached images for this size, generating them first if needed. */
export function prepareImages(outDir: string, sizeBytes: number, log: (s: string) => void): BenchImages {
  const dir = path.join(outDir, "images", `v${GENERATOR_VERSION}-${sizeBytes / MiB}MiB`);
  const images = {
    base: path.join(dir, "base.img"),
    next: path.join(dir, "next-day.img"),
    changedRanges: path.join(dir, "changed-ranges.txt"),
  };
  // The manifest is written last, so its presence means the whole set is complete.
  const manifestFile = path.join(dir, "manifest.json");
  mkdirSync(path.dirname(dir), { recursive: true });
  if (existsSync(manifestFile)) {
    const manifest = JSON.parse(readFileSync(manifestFile, "utf8")) as Manifest;
    if (manifest.generatorVersion === GENERATOR_VERSION && manifest.sizeBytes === sizeBytes) {
      log(`using cached images in ${dir}`);
      return { ...images, manifest, cached: true };
    }
  }
  // Images of older generator versions are useless now and take gigabytes: remove them.
  for (const old of readdirSync(path.dirname(dir))) {
    if (!old.startsWith(`v${GENERATOR_VERSION}-`))
      rmSync(path.join(path.dirname(dir), old), { recursive: true });
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  const started = Date.now();
  log(`generating a ${sizeBytes / MiB} MiB ext4 image in ${dir} (cached for later runs)`);
  // The next day starts as a second, identical mkfs run rather than a copy: see makeBaseImages.
  const { files, fileBytes } = makeBaseImages([images.base, images.next], sizeBytes);
  log(`base image done (${files} files) in ${((Date.now() - started) / 1000).toFixed(0)} s; making next day`);
  const { churn, sha256 } = makeNextDay(images.base, images.next, images.changedRanges, sizeBytes);
  const manifest: Manifest = {
    generatorVersion: GENERATOR_VERSION,
    sizeBytes,
    files,
    fileBytes,
    churn,
    sha256,
  };
  writeFileSync(manifestFile, JSON.stringify(manifest, null, 2) + "\n");
  log(`images ready in ${((Date.now() - started) / 1000).toFixed(0)} s`);
  return { ...images, manifest, cached: false };
}

/** Fixed metadata so that mkfs.ext4 -d copies the same bytes whatever the umask or the clock. */
const FIXED_TIME = 1_700_000_000;

/**
 * Writes the base image to each of `files`. Every copy comes from its own mkfs.ext4 run, because
 * the copies must have the same hole map as well as the same bytes, and cp cannot reproduce a
 * sparse file's hole map exactly (it punches zero blocks inside data extents). The map matters
 * to borg's fixed chunker with --sparse: it restarts its 1 MiB grid at every data extent, so a
 * different map shifts its chunks for no real reason. Here, holes are the blocks mkfs never wrote,
 * as on a host where a guest has not written them yet; the next day's writes fill some of them.
 */
function makeBaseImages(
  files: string[],
  sizeBytes: number,
): { files: number; fileBytes: Record<string, number> } {
  requireMkfsExt4();
  const staging = path.join(path.dirname(files[0] ?? "."), "staging");
  rmSync(staging, { recursive: true, force: true });
  const scale = sizeBytes / FULL_IMAGE_BYTES;
  let count = 0;
  const fileBytes: Record<string, number> = {};
  try {
    for (const cat of LAYOUT) {
      // One stream per category: changing one category does not reshuffle the others.
      const rng = new SeededBytes(`snapferry bench v${GENERATOR_VERSION} ${cat.kind}`);
      let left = Math.round(cat.bytes * scale);
      fileBytes[cat.kind] = left;
      for (let i = 0; left > 0; i++) {
        const n = Math.min(left, logUniform(rng, cat.minFile, cat.maxFile));
        // ~50 files per directory, as real trees have.
        const sub = path.join(staging, cat.dir, `d${String(Math.floor(i / 50)).padStart(3, "0")}`);
        mkdirSync(sub, { recursive: true, mode: 0o755 });
        const name = path.join(sub, `${cat.kind}-${String(i).padStart(5, "0")}${extension(cat.kind)}`);
        writeFileSync(name, generate(cat.kind, rng, n), { mode: 0o644 });
        chmodSync(name, 0o644);
        utimesSync(name, FIXED_TIME, FIXED_TIME);
        left -= n;
        count++;
      }
    }
    fixDirectoryMetadata(staging);
    for (const file of files) mkfs(staging, file, sizeBytes);
  } finally {
    rmSync(staging, { recursive: true, force: true });
  }
  return { files: count, fileBytes };
}

function mkfs(staging: string, file: string, sizeBytes: number): void {
  rmSync(file, { force: true });
  execFileSync("truncate", ["-s", String(sizeBytes), file]);
  execFileSync(
    "mkfs.ext4",
    [
      "-q",
      "-F",
      "-b",
      "4096",
      "-U",
      "5e1f3a3c-0000-4000-8000-0000000be4c1",
      "-E",
      "hash_seed=5e1f3a3c-0000-4000-8000-0000000be4c2,lazy_itable_init=0,root_owner=0:0",
      "-d",
      staging,
      file,
    ],
    {
      env: { ...process.env, E2FSPROGS_FAKE_TIME: String(FIXED_TIME) },
      stdio: ["ignore", "ignore", "pipe"],
    },
  );
  fixChangeTimes(file, staging);
}

/**
 * mkfs.ext4 -d copies each file's ctime, which utimes cannot set, so without this the image
 * would differ from run to run in every inode (and its checksum). debugfs rewrites them.
 */
function fixChangeTimes(image: string, staging: string): void {
  const paths: string[] = [];
  const walk = (rel: string): void => {
    paths.push(rel || "/");
    for (const entry of readdirSync(path.join(staging, rel), { withFileTypes: true })) {
      if (entry.isDirectory()) walk(`${rel}/${entry.name}`);
      else paths.push(`${rel}/${entry.name}`);
    }
  };
  walk("");
  const commands = path.join(path.dirname(image), "debugfs-commands");
  writeFileSync(commands, paths.map((p) => `set_inode_field ${p} ctime ${FIXED_TIME}\n`).join(""));
  try {
    execFileSync("debugfs", ["-w", "-f", commands, image], {
      env: { ...process.env, E2FSPROGS_FAKE_TIME: String(FIXED_TIME) },
      stdio: ["ignore", "ignore", "pipe"],
    });
  } finally {
    rmSync(commands, { force: true });
  }
}

/** Directories last and deepest first: writing a file changes its directory's mtime. */
function fixDirectoryMetadata(dir: string): void {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    if (entry.isDirectory()) fixDirectoryMetadata(path.join(dir, entry.name));
  }
  chmodSync(dir, 0o755);
  utimesSync(dir, FIXED_TIME, FIXED_TIME);
}

function extension(kind: ContentKind): string {
  return { logs: ".log", source: ".c", json: ".json", binary: ".so", prose: ".txt", media: ".jpg" }[kind];
}
