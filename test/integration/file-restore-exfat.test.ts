/**
 * File-level restore of exFAT, which 7-Zip cannot open: a real exFAT partition written by
 * exfat-fuse (nested folders, a fragmented file whose clusters need the FAT chain, non-ASCII
 * names, known times), put into MBR and GPT disks, backed up with the CLI, then listed and
 * extracted with `snapferry files` through our own exFAT reader.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import {
  closeSync,
  copyFileSync,
  openSync,
  readFileSync,
  readdirSync,
  statSync,
  utimesSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { extractExfat } from "../../main/flr/exfat/exfat-extract.js";
import { ExfatVolume, type ClusterRun } from "../../main/flr/exfat/exfat-volume.js";
import { cliOk, requireTool, runCli } from "../support/cli.js";
import { exfatPartition, under } from "../support/exfat-fixtures.js";
import { GPT_BASIC_DATA, MiB, assembleDisk, sh } from "../support/flr-fixtures.js";
import { backupJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const T_FILE = new Date("2021-03-04T05:06:07.890Z");
const T_DIR = new Date("2019-11-12T13:14:16Z");
const second = (d: Date): number => Math.floor(d.getTime() / 1000);

describe("file-level restore of exFAT", () => {
  const tmp = makeTempDir("flr-exfat");
  const repo = path.join(tmp.dir, "repo");
  const tempDir = path.join(tmp.dir, "flr-temp");
  const big = randomBytes(6 * MiB + 12345);
  const filler = randomBytes(MiB);
  const rp = { mbr: "", gpt: "" };
  const part = path.join(tmp.dir, "exfat.img");
  const files = (args: string[]): string[] => ["files", ...args, "--repo", repo, "--temp-dir", tempDir];

  before(async () => {
    requireTool("7zz", "7zip");
    exfatPartition(part, 32 * MiB, (root) => {
      const note = under(root, "docs/nested/deep/note.txt");
      writeAll(note, Buffer.from("deep\n"));
      writeAll(under(root, "café ü.txt"), Buffer.from("unicode\n"));
      writeAll(under(root, "日本語.txt"), Buffer.from("nihongo\n"));
      // Half of big.bin, then another file, then the rest: big.bin's clusters are not contiguous.
      const half = 3 * MiB;
      writeAll(path.join(root, "big.bin"), big.subarray(0, half));
      writeAll(path.join(root, "filler.bin"), filler);
      const fd = openSync(path.join(root, "big.bin"), "a");
      writeSync(fd, big.subarray(half));
      closeSync(fd);
      for (const f of ["docs/nested/deep/note.txt", "café ü.txt", "日本語.txt", "big.bin", "filler.bin"]) {
        utimesSync(path.join(root, f), T_FILE, T_FILE);
      }
      for (const d of ["docs/nested/deep", "docs/nested", "docs"])
        utimesSync(path.join(root, d), T_DIR, T_DIR);
    });
    const p = (n: string): string => path.join(tmp.dir, n);
    assembleDisk(p("mbr.img"), 34 * MiB, "dos", [{ file: part, start: MiB, size: 32 * MiB, type: "7" }]);
    // Partition 1: ClusterCount garbled. Partition 2: the volume is cut off at 16 of its 32 MiB.
    copyFileSync(part, p("garbled.img"));
    const fd = openSync(p("garbled.img"), "r+");
    const count = Buffer.alloc(4);
    count.writeUInt32LE(0x7fffffff);
    writeSync(fd, count, 0, 4, 92);
    closeSync(fd);
    assembleDisk(p("gpt.img"), 52 * MiB, "gpt", [
      { file: p("garbled.img"), start: MiB, size: 32 * MiB, type: GPT_BASIC_DATA, name: "garbled" },
      { file: part, start: 33 * MiB, size: 16 * MiB, type: GPT_BASIC_DATA, name: "cut" },
    ]);
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    rp.mbr = (await backupJson(repo, p("mbr.img"))).restorePoint;
    rp.gpt = (await backupJson(repo, p("gpt.img"))).restorePoint;
  });
  after(() => tmp.cleanup());

  it("wrote big.bin fragmented, so reading it needs the FAT chain", async () => {
    const volume = await ExfatVolume.open(part);
    try {
      const item = (await volume.list()).find((i) => i.path === "big.bin");
      assert.ok(item);
      assert.equal(item.stream.noFatChain, false);
      const runs: ClusterRun[] = [];
      for await (const r of volume.runs(item.stream, "big.bin")) runs.push(r);
      assert.ok(runs.length > 1, `big.bin lies in ${runs.length} run(s)`);
    } finally {
      await volume.close();
    }
  });

  it("lists folders, sizes and times", async () => {
    const root = await cliOk(files(["ls", rp.mbr]));
    assert.match(root.stdout, /^d +\d+ \S+ \/docs$/m);
    assert.match(root.stdout, new RegExp(`^f +${big.length} 2021-03-04T05:06:0\\d\\S* /big\\.bin$`, "m"));
    assert.match(root.stdout, /^f +8 \S+ \/café ü\.txt$/m);
    assert.match(root.stdout, /^f +8 \S+ \/日本語\.txt$/m);
    const deep = await cliOk(files(["ls", rp.mbr, "/docs/nested/deep"]));
    assert.match(deep.stdout.trim(), /^f +5 \S+ \/docs\/nested\/deep\/note\.txt$/);
  });

  it("extracts files and folders with their bytes and times", async () => {
    const target = path.join(tmp.dir, "out");
    await cliOk(
      files(["get", rp.mbr, "/big.bin", "/docs", "/café ü.txt", "/日本語.txt", "--target", target]),
    );
    assert.deepEqual(readdirSync(target).sort(), ["big.bin", "café ü.txt", "docs", "日本語.txt"].sort());
    const got = path.join(target, "big.bin");
    assert.equal(sha(readFileSync(got)), sha(big));
    assert.equal(second(statSync(got).mtime), second(T_FILE));
    const note = path.join(target, "docs", "nested", "deep", "note.txt");
    assert.equal(readFileSync(note, "utf8"), "deep\n");
    assert.equal(second(statSync(note).mtime), second(T_FILE));
    assert.equal(second(statSync(path.join(target, "docs")).mtime), second(T_DIR));
    assert.equal(readFileSync(path.join(target, "café ü.txt"), "utf8"), "unicode\n");
    assert.equal(readFileSync(path.join(target, "日本語.txt"), "utf8"), "nihongo\n");
    const again = await runCli(files(["get", rp.mbr, "/big.bin", "--target", target]));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /already exists/);
  });

  it("extracts the whole partition", async () => {
    const target = path.join(tmp.dir, "out-all");
    await cliOk(files(["get", rp.mbr, "/", "--target", target]));
    const all = path.join(target, "partition-1");
    assert.equal(sha(readFileSync(path.join(all, "filler.bin"))), sha(filler));
    assert.equal(readFileSync(path.join(all, "docs", "nested", "deep", "note.txt"), "utf8"), "deep\n");
  });

  it("puts exFAT files into a .zip through the staging folder", async () => {
    const archive = path.join(tmp.dir, "selection.zip");
    await cliOk(files(["get", rp.mbr, "/docs", "/big.bin", "--archive", archive]));
    const out = path.join(tmp.dir, "unzipped");
    sh("7zz", ["x", "-y", `-o${out}`, archive]);
    assert.equal(sha(readFileSync(path.join(out, "big.bin"))), sha(big));
    assert.equal(readFileSync(path.join(out, "docs", "nested", "deep", "note.txt"), "utf8"), "deep\n");
  });

  it("stops when cancelled", async () => {
    const target = path.join(tmp.dir, "out-cancel");
    const controller = new AbortController();
    controller.abort();
    await assert.rejects(
      extractExfat(part, ["big.bin"], target, undefined, controller.signal),
      (err: unknown) => err instanceof SnapferryError && err.code === "cancelled",
    );
  });

  it("names the broken boot-sector field of a garbled or cut-off volume", async () => {
    const garbled = await runCli(files(["ls", rp.gpt, "1:/"]));
    assert.equal(garbled.code, 1);
    assert.match(garbled.stderr, /exFAT: boot sector field ClusterCount is 2147483647/);
    assert.match(garbled.stderr, /restore the whole disk/);
    const cut = await runCli(files(["ls", rp.gpt, "2:/"]));
    assert.equal(cut.code, 1);
    assert.match(cut.stderr, /exFAT: boot sector field VolumeLength is 65536, outside \d+\.\.32768/);
  });
});

function writeAll(file: string, data: Buffer): void {
  const fd = openSync(file, "w");
  try {
    writeSync(fd, data);
  } finally {
    closeSync(fd);
  }
}
