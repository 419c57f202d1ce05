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
  errorLine,
  filesIn,
  jsonLines,
  restorePointIds,
  writeRandomImage,
} from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * KiB;
const SIZE = 16 * MiB; // 64 chunks
const RUN = 64 * KiB;

describe("incremental backups with changed ranges", () => {
  const tmp = makeTempDir("incremental");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  const rng = new SeededBytes("incremental changes");
  let current: Buffer;
  let parent: string;

  /** Overwrites 64 KiB runs of the image with new random bytes; returns the ranges file text. */
  function changeRuns(offsets: number[]): string {
    for (const offset of offsets) rng.bytes(RUN).copy(current, offset);
    writeFileSync(image, current);
    return offsets.map((o) => `${o} ${RUN}`).join("\n") + "\n";
  }

  function rangesFile(name: string, text: string): string {
    const file = path.join(tmp.dir, name);
    writeFileSync(file, text);
    return file;
  }

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    current = writeRandomImage(image, SIZE, "incremental base");
    parent = (await backupJson(repo, image)).restorePoint;
  });
  after(() => tmp.cleanup());

  it("reads only the chunks the ranges touch and restores bit for bit", async () => {
    // Chunk 4; chunks 19 and 20 (the run straddles their boundary); chunk 48; the last chunk (63).
    const offsets = [4 * CHUNK + 64 * KiB, 20 * CHUNK - 32 * KiB, 48 * CHUNK, SIZE - RUN];
    const text = "# offset length, in bytes\n\n" + changeRuns(offsets);
    const b = await backupJson(repo, image, ["--changed-ranges", rangesFile("ranges-1", text)]);
    assert.equal(b.type, "incremental");
    assert.equal(b.parent, parent);
    assert.equal(b.read, 5 * CHUNK, "only chunks 4, 19, 20, 48 and 63 are read");
    assert.equal(b.fresh, 5 * CHUNK);
    await assertRestores(repo, b.restorePoint, path.join(tmp.dir, "r1.img"), current);
    parent = b.restorePoint;
  });

  it("trusts the ranges: a change they omit is not backed up (the parent's bytes are restored)", async () => {
    const previous = Buffer.from(current);
    const omitted = 32 * CHUNK + 128 * KiB;
    const listed = 40 * CHUNK;
    changeRuns([omitted, listed]);
    const b = await backupJson(repo, image, [
      "--changed-ranges",
      rangesFile("ranges-2", `${listed} ${RUN}\n`),
    ]);
    assert.equal(b.read, CHUNK);
    assert.equal(b.parent, parent);

    // What the restore gives: today's image, except the omitted run, which is as it was.
    const expected = Buffer.from(current);
    previous.copy(expected, omitted, omitted, omitted + RUN);
    assert.ok(!expected.equals(current));
    await assertRestores(repo, b.restorePoint, path.join(tmp.dir, "r2.img"), expected);

    // A backup without changed ranges reads everything and so catches up.
    const full = await backupJson(repo, image);
    assert.equal(full.read, SIZE);
    assert.equal(full.fresh, CHUNK, "only the chunk with the omitted run is new");
    await assertRestores(repo, full.restorePoint, path.join(tmp.dir, "r3.img"), current);
    parent = full.restorePoint;
  });

  it("ignores changed ranges, with a note, when there is no parent to take the rest from", async () => {
    const fresh = path.join(tmp.dir, "fresh.img");
    const bytes = writeRandomImage(fresh, 2 * MiB, "no parent");
    const r = await cliOk([
      "backup",
      "--repo",
      repo,
      fresh,
      "--json",
      "--changed-ranges",
      rangesFile("ranges-3", `0 ${RUN}\n`),
    ]);
    const lines = jsonLines(r.stdout);
    assert.ok(lines.some((l) => typeof l.note === "string" && /changed ranges are ignored/.test(l.note)));
    const result = lines.at(-1) as { restorePoint: string; read: number; type: string };
    assert.equal(result.type, "full");
    assert.equal(result.read, 2 * MiB);
    await assertRestores(repo, result.restorePoint, path.join(tmp.dir, "fresh.restored"), bytes);
  });

  it("a malformed ranges file is a usage error and backs up nothing", async () => {
    const before = await restorePointIds(repo);
    const bad = rangesFile("bad-ranges", `0 ${RUN}\n4096 banana\n`);
    const r = await runCli(["backup", "--repo", repo, image, "--changed-ranges", bad]);
    assert.equal(r.code, 2, r.stderr);
    assert.equal(
      errorLine(r.stderr),
      `snapferry: error: ${bad} line 2: expected "offset length", got "4096 banana"`,
    );
    const negative = rangesFile("negative-ranges", "-4096 65536\n");
    const n = await runCli(["backup", "--repo", repo, image, "--changed-ranges", negative]);
    assert.equal(n.code, 2);
    assert.match(n.stderr, /line 1: expected "offset length", got "-4096 65536"/);
    const missing = path.join(tmp.dir, "no-such-ranges");
    const m = await runCli(["backup", "--repo", repo, image, "--changed-ranges", missing]);
    assert.equal(m.code, 2);
    assert.equal(errorLine(m.stderr), `snapferry: error: cannot read changed-ranges file ${missing}`);
    assert.deepEqual(await restorePointIds(repo), before);
  });

  it("a range past the end of the disk is a clear error and backs up nothing", async () => {
    const before = await restorePointIds(repo);
    const past = rangesFile("past-end", `${SIZE - 1000} ${RUN}\n`);
    const r = await runCli(["backup", "--repo", repo, image, "--changed-ranges", past]);
    assert.equal(r.code, 1, r.stderr);
    assert.equal(
      errorLine(r.stderr),
      `snapferry: error: a changed range (${SIZE - 1000}+${RUN}) reaches past the end of disk.img (${SIZE} bytes)`,
    );
    assert.match(r.stderr, /^hint: The changed ranges belong to another disk or an older size/m);
    assert.deepEqual(await restorePointIds(repo), before);
    assert.deepEqual(filesIn(repo, "checkpoints"), []);
    assert.deepEqual(filesIn(repo, "tmp"), []);
    const c = await checkJson(repo, true);
    assert.deepEqual(c.problems, []);
    assert.equal(c.code, 0);
  });
});
