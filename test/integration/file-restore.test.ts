/**
 * File-level restore end to end: real disks (MBR, GPT, logical partitions; ext4, FAT, NTFS) built
 * with real tools, backed up with the CLI, then browsed and single files extracted with
 * `snapferry files` and checked byte for byte, with their sizes and modification times.
 */
import assert from "node:assert/strict";
import { createHash, randomBytes } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { FileBrowser } from "../../main/services/file-restore-service.js";
import { TEST_PASSWORD, cliOk, requireTool, runCli } from "../support/cli.js";
import {
  GPT_BASIC_DATA,
  MiB,
  assemble4KnGptDisk,
  assembleDisk,
  ext4Partition,
  fatPartition,
  ntfsPartition,
  sh,
  writeSource,
} from "../support/flr-fixtures.js";
import { backupJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const sha = (data: Buffer): string => createHash("sha256").update(data).digest("hex");
const HOSTS_TIME = new Date("2020-01-02T03:04:05Z");
const FAT_TIME = new Date("2021-06-07T08:09:10Z");

describe("file-level restore", () => {
  const tmp = makeTempDir("flr");
  const repo = path.join(tmp.dir, "repo");
  const src = path.join(tmp.dir, "src");
  const tempDir = path.join(tmp.dir, "flr-temp");
  const random = randomBytes(1536 * 1024);
  const ntfsBytes = randomBytes(300 * 1024);
  const rp = { mbr: "", gpt: "", gpt4k: "", logical: "", whole: "", blank: "" };
  const files = (args: string[]): string[] => ["files", ...args, "--repo", repo, "--temp-dir", tempDir];

  before(async () => {
    requireTool("7zz", "7zip");
    writeSource(path.join(src, "ext/etc/hosts"), "127.0.0.1 localhost\n", HOSTS_TIME);
    writeSource(path.join(src, "ext/data/random.bin"), random, HOSTS_TIME);
    writeSource(path.join(src, "ext/data/deeper/note.txt"), "deep\n", HOSTS_TIME);
    writeSource(path.join(src, "ext/docs/café ü.txt"), "unicode\n", HOSTS_TIME);
    writeSource(path.join(src, "fat/DOCS/REPORT.TXT"), "quarterly numbers\n", FAT_TIME);
    writeSource(path.join(src, "fat/RANDOM.BIN"), random.subarray(0, 700_000), FAT_TIME);
    writeSource(path.join(src, "ntfs.bin"), ntfsBytes, HOSTS_TIME);
    const p = (n: string): string => path.join(tmp.dir, n);
    ext4Partition(p("ext4.img"), 20 * MiB, path.join(src, "ext"));
    fatPartition(p("fat32.img"), 40 * MiB, path.join(src, "fat"));
    fatPartition(p("fat16.img"), 12 * MiB, path.join(src, "fat"), 16);
    ntfsPartition(p("ntfs.img"), 10 * MiB, [{ name: "/big.bin", from: path.join(src, "ntfs.bin") }]);

    assembleDisk(p("mbr.img"), 24 * MiB, "dos", [
      { file: p("ext4.img"), start: MiB, size: 20 * MiB, type: "83" },
    ]);
    assembleDisk(p("gpt.img"), 56 * MiB, "gpt", [
      { file: p("fat32.img"), start: MiB, size: 40 * MiB, type: GPT_BASIC_DATA, name: "data" },
      { file: p("ntfs.img"), start: 41 * MiB, size: 10 * MiB, type: GPT_BASIC_DATA, name: "windows" },
    ]);
    assembleDisk(p("logical.img"), 48 * MiB, "dos", [
      { file: p("ext4.img"), start: MiB, size: 20 * MiB, type: "83" },
      { start: 21 * MiB, size: 26 * MiB, type: "5" },
      { file: p("fat16.img"), start: 22 * MiB, size: 12 * MiB, type: "e" },
      { file: p("ntfs.img"), start: 35 * MiB, size: 10 * MiB, type: "7" },
    ]);
    assemble4KnGptDisk(p("gpt4k.img"), 24 * MiB, { file: p("ext4.img"), start: MiB, size: 20 * MiB });
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    rp.mbr = (await backupJson(repo, p("mbr.img"))).restorePoint;
    rp.gpt = (await backupJson(repo, p("gpt.img"))).restorePoint;
    rp.gpt4k = (await backupJson(repo, p("gpt4k.img"))).restorePoint;
    rp.logical = (await backupJson(repo, p("logical.img"))).restorePoint;
    // A file system without a partition table, and a partition with no file system in it.
    rp.whole = (await backupJson(repo, p("ext4.img"))).restorePoint;
    assembleDisk(p("blank.img"), 8 * MiB, "dos", [{ start: MiB, size: 6 * MiB, type: "83" }]);
    rp.blank = (await backupJson(repo, p("blank.img"))).restorePoint;
  });
  after(() => tmp.cleanup());

  const noTempLeft = (): void => {
    const left = existsSync(tempDir) ? readdirSync(tempDir) : [];
    assert.deepEqual(left, [], "the temporary partition files are gone");
  };

  it("lists folders of a single-partition MBR disk with ext4", async () => {
    const root = await cliOk(files(["ls", rp.mbr]));
    assert.match(root.stdout, /^d +\d+ \S+ \/etc$/m);
    assert.match(root.stdout, /^d +\d+ \S+ \/data$/m);
    const etc = await cliOk(files(["ls", rp.mbr, "/etc"]));
    assert.equal(etc.stdout.trim(), "f          20 2020-01-02T03:04:05Z /etc/hosts");
    const json = await cliOk(files(["ls", rp.mbr, "/data", "--json"]));
    const entries = json.stdout
      .trim()
      .split("\n")
      .map((l) => JSON.parse(l) as { path?: string; type?: string })
      .filter((e) => e.path !== undefined);
    assert.deepEqual(
      entries.map((e) => [e.path, e.type]),
      [
        ["/data/deeper", "dir"],
        ["/data/random.bin", "file"],
      ],
    );
    noTempLeft();
  });

  it("extracts single files and folders with their bytes, sizes and times", async () => {
    const target = path.join(tmp.dir, "out-mbr");
    await cliOk(files(["get", rp.mbr, "/etc/hosts", "/data", "/docs/café ü.txt", "--target", target]));
    assert.equal(readFileSync(path.join(target, "café ü.txt"), "utf8"), "unicode\n");
    const hosts = path.join(target, "hosts");
    assert.equal(readFileSync(hosts, "utf8"), "127.0.0.1 localhost\n");
    assert.equal(statSync(hosts).mtime.toISOString(), HOSTS_TIME.toISOString());
    const rnd = path.join(target, "data", "random.bin");
    assert.equal(sha(readFileSync(rnd)), sha(random));
    assert.equal(statSync(rnd).size, random.length);
    assert.equal(statSync(rnd).mtime.toISOString(), HOSTS_TIME.toISOString());
    assert.equal(readFileSync(path.join(target, "data", "deeper", "note.txt"), "utf8"), "deep\n");
    assert.deepEqual(
      readdirSync(target).sort(),
      ["café ü.txt", "data", "hosts"],
      "nothing else is left in the target",
    );
    noTempLeft();
    const again = await runCli(files(["get", rp.mbr, "/etc/hosts", "--target", target]));
    assert.equal(again.code, 1);
    assert.match(again.stderr, /hosts already exists/);
  });

  it("materialises the partition as a sparse file and deletes it on close", async () => {
    const browser = await FileBrowser.open({
      repo,
      password: () => Promise.resolve(TEST_PASSWORD),
      restorePoint: rp.mbr,
      tempDir,
    });
    const folder = browser.tempFolder;
    assert.equal(path.dirname(folder), tempDir);
    try {
      assert.deepEqual(
        browser.partitions().map((p) => [p.number, p.start, p.size, p.type, p.scheme]),
        [[1, MiB, 20 * MiB, "Linux", "mbr"]],
      );
      const phases = new Set<string>();
      await browser.list("/", { onProgress: (p) => phases.add(p.phase) });
      assert.ok(phases.has("materialise"));
      const file = path.join(folder, "partition-1.img");
      assert.equal(statSync(file).size, 20 * MiB);
      const used = await browser.tempBytes();
      assert.ok(used > 0 && used < 10 * MiB, `allocated ${used} bytes of a 20 MiB partition`);
      assert.deepEqual(
        (await browser.search(1, "NOTE")).map((e) => e.path),
        ["/data/deeper/note.txt"],
      );
    } finally {
      await browser.close();
    }
    assert.equal(existsSync(folder), false);
    noTempLeft();
  });

  it("lists the first readable partition as the root of a multi-partition disk, and honours cancel", async () => {
    const browser = await FileBrowser.open({
      repo,
      password: () => Promise.resolve(TEST_PASSWORD),
      restorePoint: rp.logical,
      tempDir,
    });
    try {
      const cancelled = new AbortController();
      cancelled.abort();
      await assert.rejects(browser.list("5:/", { signal: cancelled.signal }), (err: unknown) => {
        assert.ok(err instanceof SnapferryError && err.code === "cancelled", String(err));
        return true;
      });
      assert.deepEqual(readdirSync(browser.tempFolder), [], "a cancelled partition file is removed");
      assert.ok((await browser.list("/")).some((e) => e.path === "/etc"));
      assert.deepEqual(
        (await browser.list("5:/DOCS")).map((e) => e.name),
        ["REPORT.TXT"],
      );
    } finally {
      await browser.close();
    }
    noTempLeft();
  });

  it("makes a .zip and a .7z of a selection", async () => {
    for (const ext of ["zip", "7z"]) {
      const archive = path.join(tmp.dir, `selection.${ext}`);
      await cliOk(files(["get", rp.mbr, "/etc", "/data/random.bin", "--archive", archive]));
      const listing = sh("7zz", ["l", "-ba", archive]);
      assert.match(listing, /etc\/hosts/);
      assert.match(listing, /random\.bin/);
      const out = path.join(tmp.dir, `unpacked-${ext}`);
      sh("7zz", ["x", "-y", `-o${out}`, archive]);
      assert.equal(sha(readFileSync(path.join(out, "random.bin"))), sha(random));
    }
    noTempLeft();
  });

  it("browses a GPT disk with FAT32 and NTFS partitions", async () => {
    const parts = await cliOk(files(["ls", rp.gpt]));
    assert.match(parts.stdout, /^1: +Microsoft basic data +40\.0 MiB .*"data"$/m);
    assert.match(parts.stdout, /^2: +Microsoft basic data +10\.0 MiB .*"windows"$/m);
    const docs = await cliOk(files(["ls", rp.gpt, "1:/DOCS"]));
    assert.match(docs.stdout, /^f +18 2021-06-07T08:09:10Z 1:\/DOCS\/REPORT\.TXT$/m);
    const target = path.join(tmp.dir, "out-gpt");
    await cliOk(
      files(["get", rp.gpt, "1:/DOCS/REPORT.TXT", "1:/RANDOM.BIN", "2:/big.bin", "--target", target]),
    );
    assert.equal(readFileSync(path.join(target, "REPORT.TXT"), "utf8"), "quarterly numbers\n");
    // FAT keeps times to 2 seconds, so FAT_TIME (an even second) survives exactly.
    assert.equal(statSync(path.join(target, "REPORT.TXT")).mtime.toISOString(), FAT_TIME.toISOString());
    assert.equal(sha(readFileSync(path.join(target, "RANDOM.BIN"))), sha(random.subarray(0, 700_000)));
    assert.equal(sha(readFileSync(path.join(target, "big.bin"))), sha(ntfsBytes));
    noTempLeft();
  });

  it("browses a GPT disk with 4096-byte sectors and extracts from it", async () => {
    const etc = await cliOk(files(["ls", rp.gpt4k, "/etc"]));
    assert.equal(etc.stdout.trim(), "f          20 2020-01-02T03:04:05Z /etc/hosts");
    const target = path.join(tmp.dir, "out-gpt4k");
    await cliOk(files(["get", rp.gpt4k, "/data/random.bin", "--target", target]));
    assert.equal(sha(readFileSync(path.join(target, "random.bin"))), sha(random));
    noTempLeft();
  });

  it("asks for the partition number when a disk has several", async () => {
    const r = await runCli(files(["ls", rp.gpt, "/DOCS"]));
    assert.equal(r.code, 2);
    assert.match(r.stderr, /this disk has 2 partitions: give the path as 1:\/DOCS \(1: Microsoft basic data/);
    const bad = await runCli(files(["get", rp.gpt, "9:/x", "--target", path.join(tmp.dir, "never")]));
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /no partition 9; its partitions are 1: .*, 2: /);
    noTempLeft();
  });

  it("reads logical partitions of an MBR extended partition", async () => {
    const parts = await cliOk(files(["ls", rp.logical]));
    assert.deepEqual(
      parts.stdout
        .trim()
        .split("\n")
        .slice(0, 3)
        .map((l) => l.split(/\s+/).slice(0, 2).join(" ")),
      ["1: Linux", "5: FAT16", "6: NTFS/exFAT"],
    );
    const target = path.join(tmp.dir, "out-logical");
    await cliOk(
      files(["get", rp.logical, "1:/etc/hosts", "5:/DOCS/REPORT.TXT", "6:/big.bin", "--target", target]),
    );
    assert.equal(readFileSync(path.join(target, "hosts"), "utf8"), "127.0.0.1 localhost\n");
    assert.equal(readFileSync(path.join(target, "REPORT.TXT"), "utf8"), "quarterly numbers\n");
    assert.equal(sha(readFileSync(path.join(target, "big.bin"))), sha(ntfsBytes));
    noTempLeft();
  });

  it("browses a disk without a partition table, and names a partition 7-Zip cannot read", async () => {
    const whole = await cliOk(files(["ls", rp.whole, "/etc"]));
    assert.match(whole.stdout, /^f +20 2020-01-02T03:04:05Z \/etc\/hosts$/m);
    const blank = await runCli(files(["ls", rp.blank]));
    assert.equal(blank.code, 1);
    assert.match(blank.stderr, /7-Zip cannot read the file system in partition 1 \(Linux\)/);
    assert.match(blank.stderr, /restore the whole disk/);
    noTempLeft();
  });

  it("names a missing 7-Zip and a missing path clearly", async () => {
    const no7z = await runCli([...files(["ls", rp.mbr]), "--7z", "/nonexistent/7zz"]);
    assert.equal(no7z.code, 1);
    assert.match(no7z.stderr, /7-Zip was not found at \/nonexistent\/7zz/);
    assert.match(no7z.stderr, /apt install 7zip/);
    assert.match(no7z.stderr, /https:\/\/www\.7-zip\.org\/download\.html/);
    const missing = await runCli(
      files(["get", rp.mbr, "/etc/nope", "--target", path.join(tmp.dir, "never")]),
    );
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /"\/etc\/nope" does not exist/);
    const climb = await runCli(files(["ls", rp.mbr, "/etc/../../x"]));
    assert.equal(climb.code, 2);
    noTempLeft();
  });
});
