import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, runCli } from "../support/cli.js";
import {
  KiB,
  MiB,
  assertRestores,
  backupJson,
  checkJson,
  dataBytes,
  filesIn,
  restorePointIds,
  statsJson,
  writeRandomImage,
} from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * KiB;

/**
 * Four versions of one 8 MiB image (32 chunks); each replaces a different quarter of the previous
 * one. Keeping the last two keeps 40 distinct chunks of the 56 stored: v1's first half goes.
 */
describe("forget and prune", () => {
  const tmp = makeTempDir("retention");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  const versions: { rp: string; bytes: Buffer }[] = [];

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    let bytes = writeRandomImage(image, 8 * MiB, "retention v1");
    const rng = new SeededBytes("retention changes");
    for (let v = 1; v <= 4; v++) {
      if (v > 1) {
        bytes = Buffer.from(bytes);
        rng.bytes(8 * CHUNK).copy(bytes, (v - 2) * 8 * CHUNK);
        writeFileSync(image, bytes);
      }
      versions.push({ rp: (await backupJson(repo, image)).restorePoint, bytes });
    }
  });
  after(() => tmp.cleanup());

  it("--dry-run removes nothing", async () => {
    const r = await cliOk(["forget", "--repo", repo, "--keep-last", "2", "--dry-run", "--prune"]);
    assert.equal(r.stdout.match(/^would remove /gm)?.length, 2, r.stdout);
    assert.deepEqual(
      await restorePointIds(repo),
      versions.map((v) => v.rp),
    );
    assert.equal((await statsJson(repo)).chunks, 56);
  });

  it("forget --keep-last 2 --prune keeps the newest two intact and frees the rest", async () => {
    const before = await statsJson(repo);
    const bytesBefore = dataBytes(repo);
    assert.equal(before.chunks, 32 + 3 * 8);

    const r = await cliOk(["forget", "--repo", repo, "--keep-last", "2", "--prune"]);
    const [v1, v2, v3, v4] = versions.map((v) => v.rp.slice(0, 8));
    assert.match(r.stdout, new RegExp(`^keep    ${v4}  .*last$`, "m"));
    assert.match(r.stdout, new RegExp(`^keep    ${v3}  .*last$`, "m"));
    assert.match(r.stdout, new RegExp(`^removed ${v1}  `, "m"));
    assert.match(r.stdout, new RegExp(`^removed ${v2}  `, "m"));
    assert.match(r.stdout, /^prune: removed \d+ packs, rewrote \d+, freed /m);

    assert.deepEqual(await restorePointIds(repo), [versions[2]?.rp, versions[3]?.rp]);
    const afterwards = await statsJson(repo);
    assert.equal(afterwards.restorePoints, 2);
    assert.equal(afterwards.chunks, 40, "the 16 chunks only v1 and v2 used are gone");
    assert.ok(
      afterwards.packBytes < before.packBytes - 15 * CHUNK,
      `${before.packBytes} → ${afterwards.packBytes}`,
    );
    assert.ok(dataBytes(repo) < bytesBefore - 15 * CHUNK, "the files in data/ shrink by as much");
    assert.equal(dataBytes(repo), afterwards.packBytes, "no pack is left behind unindexed");
    assert.deepEqual(filesIn(repo, "tmp"), []);

    const c = await checkJson(repo, true);
    assert.deepEqual(c.problems, []);
    assert.deepEqual(c.notes, []);
    assert.equal(c.code, 0);
    for (const v of versions.slice(2))
      await assertRestores(repo, v.rp, path.join(tmp.dir, `${v.rp}.img`), v.bytes);

    const gone = await runCli([
      "restore",
      "--repo",
      repo,
      versions[0]?.rp ?? "",
      "--target",
      path.join(tmp.dir, "gone.img"),
    ]);
    assert.equal(gone.code, 1);
    assert.match(
      gone.stderr,
      new RegExp(`^snapferry: error: no restore point ${versions[0]?.rp} in repository`),
    );
  });

  it("a second prune finds nothing to do", async () => {
    const before = await statsJson(repo);
    const r = await cliOk(["prune", "--repo", repo, "--json"]);
    const report = JSON.parse(r.stdout.trim().split("\n").at(-1) ?? "") as {
      prune: { packsRemoved: number; packsRepacked: number; bytesFreed: number };
    };
    assert.equal(report.prune.packsRemoved, 0);
    assert.equal(report.prune.packsRepacked, 0);
    assert.equal(report.prune.bytesFreed, 0);
    assert.deepEqual(await statsJson(repo), before);
  });
});
