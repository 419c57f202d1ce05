/**
 * `snapferry verify`: every chunk read back, file systems opened, the outcome recorded in the
 * app's catalog (green with a date, red with the reason). Real repository, real CLI, real SQLite.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { TEST_PASSWORD, cliOk, runCli } from "../support/cli.js";
import { KiB, MiB, backupJson, damageBlob, diskLayout, errorLine, lastJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";
import { assembleDisk, fatPartition, sh, writeSource } from "../support/flr-fixtures.js";
import { requireTool } from "../support/cli.js";

const CHUNK = 256 * KiB;

describe("restore verification", () => {
  const tmp = makeTempDir("verify");
  const repo = path.join(tmp.dir, "repo");
  const dataDir = path.join(tmp.dir, "app-data");
  const env = { SNAPFERRY_DATA_DIR: dataDir };
  const catalogFile = path.join(dataDir, "catalog.sqlite");
  let first = "";
  let second = "";
  let repositoryId = "";

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    const rng = new SeededBytes("verify");
    const image = path.join(tmp.dir, "data.img");
    // A data disk with no partition table: nothing for 7-Zip to open, which is not a failure.
    writeFileSync(image, Buffer.concat([rng.bytes(2 * MiB), Buffer.alloc(MiB), rng.bytes(MiB + 100)]));
    first = (await backupJson(repo, image)).restorePoint;
    writeFileSync(image, Buffer.concat([rng.bytes(2 * MiB), Buffer.alloc(MiB), rng.bytes(MiB + 100)]));
    second = (await backupJson(repo, image)).restorePoint;
    // The app has been opened on this machine and knows the repository.
    mkdirSync(dataDir, { recursive: true });
    const catalog = openCatalog(catalogFile);
    repositoryId = (await openExistingRepository(catalog, { path: repo, password: TEST_PASSWORD })).repository
      .repositoryId;
    catalog.close();
  });
  after(() => tmp.cleanup());

  function catalogState(): Map<string, { verifiedAt: string | null; reason: string | null }> {
    const catalog = openCatalog(catalogFile);
    try {
      return new Map(
        catalog.restorePoints
          .list(repositoryId)
          .map((p) => [p.id, { verifiedAt: p.verifiedAt, reason: p.verifyFailure?.reason ?? null }]),
      );
    } finally {
      catalog.close();
    }
  }

  it("verifies every restore point, says what it checked, and records it in the catalog", async () => {
    const r = await cliOk(["verify", repo], env);
    assert.match(r.stdout, new RegExp(`verified ${first.slice(0, 8)}`));
    assert.match(r.stdout, new RegExp(`verified ${second.slice(0, 8)}`));
    assert.match(r.stdout, /2 restore point\(s\) verified/);
    assert.match(r.stdout, /recorded in the catalog/);
    const state = catalogState();
    assert.ok(state.get(first)?.verifiedAt, "first marked verified");
    assert.ok(state.get(second)?.verifiedAt, "second marked verified");
  });

  it("fails a restore point with a damaged chunk, naming the disk and offset, and marks it red", async () => {
    const layout = await diskLayout(repo, second);
    // A chunk only the second restore point has (its first 2 MiB differ from the first's).
    const victim = layout.chunks.find((c) => c.offset === CHUNK);
    assert.ok(victim);
    const undo = damageBlob(victim);
    try {
      const r = await runCli(["verify", "--repo", repo, second.slice(0, 8), "--json"], env);
      assert.equal(r.code, 1, r.stderr);
      const out = lastJson(r.stdout);
      assert.equal(out.failed, 1);
      const reason = catalogState().get(second)?.reason ?? "";
      assert.match(
        reason,
        new RegExp(
          `disk 0 \\(data.img\\) of restore point ${second.slice(0, 8)} at offset ${CHUNK}: .*damaged`,
        ),
      );
      assert.ok(catalogState().get(second)?.verifiedAt, "the earlier success is kept beside the failure");
      assert.equal(catalogState().get(first)?.reason, null, "the other restore point is untouched");
    } finally {
      undo();
    }
    await cliOk(["verify", "--repo", repo, second], env);
    assert.equal(catalogState().get(second)?.reason, null, "a later success clears the failure");
  });

  it("explains how to call it when the repository is missing", async () => {
    const r = await runCli(["verify"], env);
    assert.equal(r.code, 2);
    assert.match(errorLine(r.stderr), /verify needs a repository/);
  });
});

describe("restore verification of file systems", () => {
  const tmp = makeTempDir("verify-fs");
  const repo = path.join(tmp.dir, "repo");
  const files = path.join(tmp.dir, "files");
  const ext = path.join(tmp.dir, "ext.img");
  const fat = path.join(tmp.dir, "fat.img");
  const disk = path.join(tmp.dir, "disk.img");

  function buildDisk(breakExt: boolean): void {
    requireTool("mkfs.ext4", "e2fsprogs");
    // Without metadata checksums, so that one wrong counter is what e2fsck finds, not a checksum.
    sh("mkfs.ext4", ["-q", "-F", "-O", "^metadata_csum", "-d", files, ext, "16M"]);
    if (breakExt) {
      // Group 0's free-inode count off by 3 (1 KiB blocks: descriptors at 2048, the field at 14):
      // the data still reads, and e2fsck -n reports the inconsistency.
      const bytes = readFileSync(ext);
      bytes.writeUInt16LE(bytes.readUInt16LE(2048 + 14) - 3, 2048 + 14);
      writeFileSync(ext, bytes);
    }
    fatPartition(fat, 34 * MiB, files);
    assembleDisk(disk, 64 * MiB, "dos", [
      { file: ext, start: MiB, size: 16 * MiB, type: "83" },
      { file: fat, start: 20 * MiB, size: 34 * MiB, type: "c" },
    ]);
  }

  before(async () => {
    writeSource(path.join(files, "etc", "hostname"), "files-01\n", new Date("2026-01-02T03:04:06Z"));
    writeSource(
      path.join(files, "data.bin"),
      new SeededBytes("verify fs").bytes(300 * 1024),
      new Date("2026-01-02T03:04:06Z"),
    );
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
  });
  after(() => tmp.cleanup());

  it("opens each partition, lists its root and runs e2fsck on ext", async () => {
    buildDisk(false);
    const rp = (await backupJson(repo, disk)).restorePoint;
    const r = await cliOk(["verify", "--repo", repo, rp], { SNAPFERRY_DATA_DIR: path.join(tmp.dir, "none") });
    assert.match(
      r.stdout,
      /partition 1 \(Linux\): file system opened, \d+ entries in its root folder; e2fsck -n: clean/,
    );
    assert.match(
      r.stdout,
      /partition 2 \(FAT32 \(LBA\)\): file system opened, \d+ entries in its root folder/,
    );
    assert.match(r.stdout, /1 restore point\(s\) verified/);
    assert.match(r.stdout, /not recorded: this machine has no Snapferry catalog/);
  });

  it("fails a restore point whose ext file system e2fsck finds damaged", async () => {
    buildDisk(true);
    const rp = (await backupJson(repo, disk)).restorePoint;
    const r = await runCli(["verify", "--repo", repo, rp, "--json"], {
      SNAPFERRY_DATA_DIR: path.join(tmp.dir, "none"),
    });
    assert.equal(r.code, 1, r.stderr);
    const out = lastJson(r.stdout) as { failed: number; results: { reason: string }[] };
    assert.equal(out.failed, 1);
    assert.match(
      out.results[0]?.reason ?? "",
      /disk 0 partition 1: e2fsck found errors: Free inodes count wrong for group #0/,
    );
  });
});
