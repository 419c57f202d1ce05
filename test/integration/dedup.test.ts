import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk } from "../support/cli.js";
import {
  KiB,
  MiB,
  assertRestores,
  backupJson,
  statsJson,
  writeRandomImage,
  type BackupResult,
} from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * KiB;
const IMAGE_SIZE = 20 * MiB; // 80 chunks
const CHANGED_CHUNKS = 8; // 10% of them

describe("deduplication", () => {
  const tmp = makeTempDir("dedup");
  const repo = path.join(tmp.dir, "repo");
  const imageA = path.join(tmp.dir, "a.img");
  const imageB = path.join(tmp.dir, "b.img");
  let bytesA: Buffer;
  let first: BackupResult;

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    // Random data: zstd cannot shrink it, so stored sizes measure deduplication alone.
    bytesA = writeRandomImage(imageA, IMAGE_SIZE, "dedup a");
    first = await backupJson(repo, imageA);
  });
  after(() => tmp.cleanup());

  it("stores every byte of a first backup of random data", () => {
    assert.equal(first.type, "full");
    assert.equal(first.read, IMAGE_SIZE);
    assert.equal(first.fresh, IMAGE_SIZE);
    // Incompressible: stored is the data plus a little framing, never less.
    assert.ok(first.stored >= IMAGE_SIZE && first.stored < IMAGE_SIZE * 1.01, `stored ${first.stored}`);
  });

  it("adds nothing when the same image is backed up again", async () => {
    const before = await statsJson(repo);
    const again = await backupJson(repo, imageA);
    const afterwards = await statsJson(repo);
    assert.equal(again.read, IMAGE_SIZE, "without changed ranges every byte is read");
    assert.equal(again.fresh, 0);
    assert.equal(again.stored, 0);
    assert.equal(afterwards.chunks, before.chunks);
    assert.equal(afterwards.packs, before.packs);
    assert.equal(afterwards.packBytes, before.packBytes);
    assert.equal(afterwards.restorePoints, before.restorePoints + 1);

    // --full (no parent at all) dedups just the same.
    const full = await backupJson(repo, imageA, ["--full"]);
    assert.equal(full.type, "full");
    assert.equal(full.stored, 0);
    assert.equal((await statsJson(repo)).packBytes, before.packBytes);
    await assertRestores(repo, full.restorePoint, path.join(tmp.dir, "a.restored"), bytesA);
  });

  it("adds only the changed tenth of an image that shares 90% of its content", async () => {
    const before = await statsJson(repo);
    // b.img is a.img with 8 of its 80 chunks replaced by fresh random data, spread over the disk.
    const bytesB = Buffer.from(bytesA);
    const rng = new SeededBytes("dedup b");
    for (let i = 0; i < CHANGED_CHUNKS; i++) {
      const chunk = i * 10 + 3;
      rng.bytes(CHUNK).copy(bytesB, chunk * CHUNK);
    }
    writeFileSync(imageB, bytesB);

    const b = await backupJson(repo, imageB);
    const afterwards = await statsJson(repo);
    assert.equal(b.read, IMAGE_SIZE);
    assert.equal(b.fresh, CHANGED_CHUNKS * CHUNK, "exactly the replaced chunks are new");
    assert.equal(afterwards.chunks, before.chunks + CHANGED_CHUNKS);

    const growth = (afterwards.packBytes - before.packBytes) / before.packBytes;
    assert.ok(growth >= 0.08 && growth <= 0.15, `repository grew by ${(growth * 100).toFixed(2)}%`);
    // The pack adds its header and table to the blobs the backup reports as stored.
    const added = afterwards.packBytes - before.packBytes;
    assert.ok(added >= b.stored && added - b.stored < 16 * KiB, `pack bytes +${added}, stored ${b.stored}`);

    await assertRestores(repo, b.restorePoint, path.join(tmp.dir, "b.restored"), bytesB);
    await assertRestores(repo, first.restorePoint, path.join(tmp.dir, "a.restored"), bytesA);
  });
});
