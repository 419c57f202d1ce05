import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, requireTool, runCli, type CliResult } from "../support/cli.js";
import {
  MiB,
  assertRestores,
  backupJson,
  checkJson,
  errorLine,
  filesIn,
  listing,
  restorePointIds,
  writeRandomImage,
} from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

/** Asserts a failed command: its exit code and the exact first line it printed on stderr. */
function assertFails(r: CliResult, code: number, message: string): void {
  assert.equal(r.code, code, `expected exit ${code}, got ${r.code}:\n${r.stdout}\n${r.stderr}`);
  assert.equal(errorLine(r.stderr), `snapferry: error: ${message}`, r.stderr);
}

describe("bad input", () => {
  const tmp = makeTempDir("bad-input");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  const other = path.join(tmp.dir, "other.img");
  let bytes: Buffer;
  let otherBytes: Buffer;
  let rp: string;
  let otherRp: string;

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    bytes = writeRandomImage(image, 4 * MiB, "bad input");
    otherBytes = writeRandomImage(other, 3 * MiB + 4321, "bad input other");
    rp = (await backupJson(repo, image)).restorePoint;
    otherRp = (await backupJson(repo, other)).restorePoint;
  });
  after(() => tmp.cleanup());

  it("a wrong password is refused by every command, and nothing in the repository changes", async () => {
    const before = listing(repo);
    const wrong = { SNAPFERRY_PASSWORD: "not the password" };
    const target = path.join(tmp.dir, "never-written.img");
    const attempts = [
      ["backup", "--repo", repo, image],
      ["snapshots", "--repo", repo],
      ["restore", "--repo", repo, rp, "--target", target],
      ["check", "--repo", repo, "--read-data"],
      ["forget", "--repo", repo, "--keep-last", "1", "--prune"],
      ["prune", "--repo", repo],
      ["stats", "--repo", repo],
      ["rebuild-index", "--repo", repo],
    ];
    for (const args of attempts) {
      const r = await runCli(args, wrong);
      assertFails(r, 1, `wrong password for repository ${repo}`);
      assert.match(r.stderr, /^hint: Check the password .*nothing was written\.$/m);
    }
    assert.deepEqual(listing(repo), before, "the repository must be left exactly as it was");
    assert.ok(!existsSync(target));
    // --json reports it as a typed error on stdout too.
    const json = await runCli(["snapshots", "--repo", repo, "--json"], wrong);
    assert.equal(json.code, 1);
    assert.deepEqual(JSON.parse(json.stdout.trim()).error.code, "wrong-password");
  });

  it("a truncated key file is reported as damaged, not as a wrong password", async () => {
    const [name] = filesIn(repo, "keys");
    assert.ok(name);
    const keyFile = path.join(repo, "keys", name);
    const original = readFileSync(keyFile);
    writeFileSync(keyFile, original.subarray(0, Math.floor(original.length / 2)));
    try {
      const r = await runCli(["snapshots", "--repo", repo]);
      assertFails(r, 1, `key file ${keyFile} is damaged: it is not complete JSON (truncated?)`);
      assert.match(r.stderr, /^hint: .*Restore the keys\/ folder from a copy of the repository\.$/m);
      assertFails(
        await runCli(["restore", "--repo", repo, rp, "--target", path.join(tmp.dir, "x.img")]),
        1,
        `key file ${keyFile} is damaged: it is not complete JSON (truncated?)`,
      );
    } finally {
      writeFileSync(keyFile, original);
    }
    assert.deepEqual(await restorePointIds(repo), [rp, otherRp]);
  });

  it("a garbage manifest is named by snapshots and check; other restore points still restore", async () => {
    const garbageId = "0123456789abcdef0123456789abcdef";
    const manifest = path.join(repo, "snapshots", garbageId);
    writeFileSync(manifest, new SeededBytes("garbage").bytes(700));
    const expected = `restore point ${garbageId} is not a SFSNAP01 file (damaged or misplaced)`;
    try {
      const list = await runCli(["snapshots", "--repo", repo]);
      assertFails(list, 1, expected);
      assert.match(list.stdout, new RegExp(`^${rp.slice(0, 8)} `, "m"), "readable ones are still listed");
      assert.match(list.stdout, new RegExp(`^${otherRp.slice(0, 8)} `, "m"));
      assert.match(list.stderr, /^hint: The other restore points can still be restored\./m);

      const json = await runCli(["snapshots", "--repo", repo, "--json"]);
      assert.equal(json.code, 1);
      const [points, error] = json.stdout.trim().split("\n");
      assert.deepEqual(
        (JSON.parse(points ?? "") as { id: string }[]).map((p) => p.id),
        [rp, otherRp],
      );
      assert.deepEqual(JSON.parse(error ?? "").error.message, expected);

      const c = await checkJson(repo, false);
      assert.equal(c.code, 1);
      assert.deepEqual(c.damaged, [garbageId]);
      assert.deepEqual(c.problems, [{ message: expected, restorePoint: garbageId }]);

      assertFails(
        await runCli(["restore", "--repo", repo, garbageId, "--target", path.join(tmp.dir, "g.img")]),
        1,
        expected,
      );
      // prune must not guess what a manifest it cannot read still needs.
      const prune = await runCli(["prune", "--repo", repo]);
      assertFails(
        prune,
        1,
        `restore point ${garbageId} cannot be read (${expected}); prune stopped so as not to delete data it may need`,
      );
      await assertRestores(repo, otherRp, path.join(tmp.dir, "other.restored"), otherBytes);
      await assertRestores(repo, "latest", path.join(tmp.dir, "latest.restored"), otherBytes);
    } finally {
      execFileSync("rm", [manifest]);
    }
    assert.equal((await checkJson(repo, false)).code, 0);
  });

  it("a repository path that is a file is refused", async () => {
    const file = path.join(tmp.dir, "plain-file");
    writeFileSync(file, "not a repository\n");
    assertFails(await runCli(["snapshots", "--repo", file]), 1, `${file} is a file, not a repository folder`);
    assertFails(
      await runCli(["backup", "--repo", file, image]),
      1,
      `${file} is a file, not a repository folder`,
    );
    assertFails(await runCli(["init", "--repo", file]), 1, `${file} is a file`);
    assert.equal(readFileSync(file, "utf8"), "not a repository\n");
    const missing = path.join(tmp.dir, "no-such-repo");
    assertFails(await runCli(["snapshots", "--repo", missing]), 1, `no repository at ${missing}`);
    assert.ok(!existsSync(missing), "opening a missing repository must not create it");
  });

  it("a repository of a newer format version is refused, naming both versions", async () => {
    const newer = path.join(tmp.dir, "newer");
    await cliOk(["init", "--repo", newer, "--encryption", "none"]);
    const configFile = path.join(newer, "config");
    const config = JSON.parse(readFileSync(configFile, "utf8")) as { version: number };
    assert.equal(config.version, 1);
    writeFileSync(configFile, JSON.stringify({ ...config, version: 99 }, null, 2) + "\n");
    const before = listing(newer);
    const message = `repository ${newer} has format version 99, but this Snapferry reads format version 1 at most`;
    for (const args of [
      ["backup", "--repo", newer, image],
      ["snapshots", "--repo", newer],
      ["check", "--repo", newer],
      ["prune", "--repo", newer],
    ]) {
      const r = await runCli(args);
      assertFails(r, 1, message);
      assert.match(r.stderr, /^hint: Update Snapferry to a release that reads this repository\.$/m);
    }
    assert.deepEqual(listing(newer), before);
  });

  it("a missing --repo is a usage error (exit 2)", async () => {
    const noRepo = { SNAPFERRY_REPOSITORY: "" };
    for (const args of [["snapshots"], ["backup", image], ["check", "--read-data"], ["init"]]) {
      const r = await runCli(args, noRepo);
      assertFails(r, 2, "--repo is required");
    }
    assertFails(await runCli(["restore", "--repo", repo, rp]), 2, "--target is required");
    assertFails(await runCli(["backup", "--repo", repo]), 2, "SOURCE (the disk image to back up) is missing");
    const unknown = await runCli(["backup", "--repo", repo, image, "--bogus"]);
    assert.equal(unknown.code, 2);
    assert.match(unknown.stderr, /^snapferry: error: Unknown option '--bogus'/);
    assert.deepEqual(await restorePointIds(repo), [rp, otherRp], "no usage error may back anything up");
  });

  it("no password is a usage error, and init then creates nothing", async () => {
    const noPassword = { SNAPFERRY_PASSWORD: "" };
    const fresh = path.join(tmp.dir, "never-created");
    const message = "the repository needs a password and none was given";
    assertFails(await runCli(["init", "--repo", fresh], noPassword), 2, message);
    assert.ok(!existsSync(fresh), "a failed init must not leave a half-made repository folder");
    const empty = path.join(tmp.dir, "empty-password");
    writeFileSync(empty, "\n");
    assertFails(
      await runCli(["init", "--repo", fresh, "--password-file", empty], noPassword),
      2,
      `password file ${empty} is empty`,
    );
    assert.ok(!existsSync(fresh));
    assertFails(await runCli(["snapshots", "--repo", repo], noPassword), 2, message);
  });

  it("restores into an existing file only with --overwrite", async () => {
    const target = path.join(tmp.dir, "exists.img");
    writeFileSync(target, "keep me");
    assertFails(
      await runCli(["restore", "--repo", repo, rp, "--target", target]),
      1,
      `target ${target} already exists`,
    );
    assert.equal(readFileSync(target, "utf8"), "keep me");
    await assertRestores(repo, rp, target, bytes);
  });
});

describe("a full disk under the repository", () => {
  const tmp = makeTempDir("disk-full");
  const mountPoint = path.join(tmp.dir, "small");
  const repo = path.join(mountPoint, "repo");
  let mounted = false;
  let first: string;
  let firstBytes: Buffer;

  before(async () => {
    requireTool("mount", "util-linux");
    mkdirSync(mountPoint);
    try {
      execFileSync("mount", ["-t", "tmpfs", "-o", "size=24m", "tmpfs", mountPoint], { stdio: "pipe" });
    } catch (err) {
      const detail = err instanceof Error ? err.message : String(err);
      throw new Error(
        `this test needs a 24 MiB tmpfs as a full disk, and mounting it failed (run the tests as root, ` +
          `with CAP_SYS_ADMIN): ${detail}`,
        { cause: err },
      );
    }
    mounted = true;
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    const image = path.join(tmp.dir, "first.img");
    firstBytes = writeRandomImage(image, 4 * MiB, "fits");
    first = (await backupJson(repo, image)).restorePoint;
  });
  after(() => {
    if (mounted) {
      try {
        execFileSync("umount", [mountPoint], { stdio: "pipe" });
      } catch {
        // Still busy (a failed test's process?): detach it now, the kernel frees it when idle.
        execFileSync("umount", ["-l", mountPoint], { stdio: "pipe" });
      }
    }
    tmp.cleanup();
  });

  it("fails with a clear error, keeps nothing half-written, and leaves earlier restore points intact", async () => {
    // 32 MiB of random data cannot fit in the ~20 MiB left (enough to pass the free-space
    // pre-check, so the backup really runs into ENOSPC while writing its pack).
    const big = path.join(tmp.dir, "big.img");
    writeRandomImage(big, 32 * MiB, "does not fit");
    const r = await runCli(["backup", "--repo", repo, big]);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /^note: .*may not fit/m, "the pre-check warns first");
    assert.equal(errorLine(r.stderr), `snapferry: error: no space left on the device holding ${repo}`);
    assert.match(r.stderr, /^hint: Free space there .*nothing half-written was kept\.$/m);

    assert.deepEqual(filesIn(repo, "tmp"), [], "no partial pack may be left in tmp/");
    assert.deepEqual(filesIn(repo, "locks"), []);
    assert.deepEqual(filesIn(repo, "checkpoints"), []);
    assert.deepEqual(await restorePointIds(repo), [first]);

    const c = await checkJson(repo, true);
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.notes, [], "no orphan pack may be left in data/");
    assert.equal(c.code, 0);
    await assertRestores(repo, first, path.join(tmp.dir, "first.restored"), firstBytes);

    // And the repository is still usable: a backup that fits succeeds.
    const small = path.join(tmp.dir, "small.img");
    const smallBytes = writeRandomImage(small, 2 * MiB, "fits too");
    const next = await backupJson(repo, small);
    await assertRestores(repo, next.restorePoint, path.join(tmp.dir, "small.restored"), smallBytes);
    assert.deepEqual(readdirSync(path.join(repo, "tmp")), []);
  });

  it("refuses a backup up front when the disk is nearly full, writing nothing", async () => {
    const filler = path.join(mountPoint, "filler");
    writeFileSync(filler, Buffer.alloc(8 * MiB, 1));
    try {
      const before = await restorePointIds(repo);
      const packs = filesIn(repo, "data");
      const image = path.join(tmp.dir, "tiny.img");
      writeRandomImage(image, 256 * 1024, "tiny");
      const r = await runCli(["backup", "--repo", repo, image]);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        errorLine(r.stderr),
        /^snapferry: error: not enough space left on the repository's disk: [\d.]+ MiB free, less than the 16\.0 MiB a backup needs at least$/,
      );
      assert.deepEqual(await restorePointIds(repo), before);
      assert.deepEqual(filesIn(repo, "data"), packs);
      assert.deepEqual(filesIn(repo, "tmp"), []);
    } finally {
      rmSync(filler);
    }
  });

  it("a restore onto a full disk fails with a clear error and removes the partial file", async () => {
    const elsewhere = path.join(tmp.dir, "roomy-repo");
    await cliOk(["init", "--repo", elsewhere, "--chunk-size", "256K", "--encryption", "none"]);
    const big = path.join(tmp.dir, "big-restore.img");
    writeRandomImage(big, 32 * MiB, "restore does not fit");
    const { restorePoint } = await backupJson(elsewhere, big);
    const target = path.join(mountPoint, "restored.img");
    const before = readdirSync(mountPoint).sort();
    const r = await runCli(["restore", "--repo", elsewhere, restorePoint, "--target", target]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(errorLine(r.stderr), `snapferry: error: no space left on the device holding ${target}`);
    assert.match(
      r.stderr,
      /^hint: Free space on the disk that holds the target, or restore to a larger one\.$/m,
    );
    assert.deepEqual(readdirSync(mountPoint).sort(), before, "no target and no partial file may be left");
  });
});
