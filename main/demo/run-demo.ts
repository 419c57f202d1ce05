/**
 * `npm run demo`: the main job for now. Generates a demo disk image (ext4 with text, random data
 * and empty space), backs it up into an encrypted repository with the real `snapferry` CLI,
 * changes a few blocks, backs it up again, restores both and proves the restores are identical.
 */
import { execFileSync, spawnSync } from "node:child_process";
import { mkdirSync, rmSync, openSync, writeSync, closeSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { makeExt4Image, SeededBytes } from "./disk-image.js";

const cli = fileURLToPath(new URL("../cli/main.js", import.meta.url));
const dir = path.resolve(process.env.SNAPFERRY_DEMO_DIR ?? "demo");
const env = { ...process.env, SNAPFERRY_PASSWORD: process.env.SNAPFERRY_PASSWORD ?? "demo password" };

function snapferry(...args: string[]): string {
  process.stdout.write(`\n$ snapferry ${args.join(" ")}\n`);
  const r = spawnSync(process.execPath, [cli, ...args], { env, stdio: ["inherit", "pipe", "inherit"] });
  const out = r.stdout.toString();
  process.stdout.write(out);
  if (r.status !== 0) throw new Error(`snapferry ${args[0]} failed (exit ${r.status})`);
  return out.trim().split("\n").at(-1) ?? "";
}

function same(a: string, b: string): void {
  execFileSync("cmp", [a, b]);
  process.stdout.write(`identical: ${path.basename(a)} = ${path.basename(b)}\n`);
}

rmSync(dir, { recursive: true, force: true });
mkdirSync(dir, { recursive: true });
const image = path.join(dir, "demo-disk.img");
const repo = path.join(dir, "repository");
process.stdout.write(`generating ${image} (256 MiB: ext4 with 48 MiB of text, 16 MiB of random data)\n`);
makeExt4Image(image, {
  sizeBytes: 256 * 1024 * 1024,
  seed: "snapferry demo",
  textBytes: 48e6,
  randomBytes: 16e6,
});

snapferry("init", "--repo", repo);
const first = snapferry("backup", "--repo", repo, image);
const before = path.join(dir, "before.img");
execFileSync("cp", ["--sparse=always", image, before]);

// "The next day": rewrite 64 KiB in a few places and tell Snapferry where (as CBT would).
const rng = new SeededBytes("next day");
const fd = openSync(image, "r+");
const ranges: string[] = [];
for (let i = 0; i < 8; i++) {
  const offset = rng.int(256 * 16) * 65536;
  writeSync(fd, rng.bytes(65536), 0, 65536, offset);
  ranges.push(`${offset} 65536`);
}
closeSync(fd);
const rangesFile = path.join(dir, "changed-ranges.txt");
execFileSync("sh", ["-c", `printf '%s\\n' ${ranges.map((r) => `'${r}'`).join(" ")} > '${rangesFile}'`]);
const second = snapferry("backup", "--repo", repo, image, "--changed-ranges", rangesFile);

snapferry("snapshots", "--repo", repo);
snapferry("restore", "--repo", repo, first, "--target", path.join(dir, "restored-1.img"));
snapferry("restore", "--repo", repo, second, "--target", path.join(dir, "restored-2.img"));
same(before, path.join(dir, "restored-1.img"));
same(image, path.join(dir, "restored-2.img"));
snapferry("check", "--repo", repo, "--read-data");
snapferry("stats", "--repo", repo);
process.stdout.write(`\nThe demo's files are in ${dir}. Try: npx snapferry snapshots --repo ${repo}\n`);
