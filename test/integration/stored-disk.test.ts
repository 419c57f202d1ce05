import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { openStoredDisk, type OpenedStoredDisk } from "../../main/services/stored-disk-service.js";
import { TEST_PASSWORD, cliOk } from "../support/cli.js";
import { KiB, MiB, backupJson, damageBlob, diskLayout } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * KiB;
// Not a multiple of the chunk size, so the last chunk is short.
const SIZE = 5 * MiB + 12_345;

describe("random access to a stored disk", () => {
  const tmp = makeTempDir("stored-disk");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  let bytes: Buffer;
  let rp: string;
  let opened: OpenedStoredDisk;

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    bytes = Buffer.alloc(SIZE);
    new SeededBytes("stored disk").bytes(CHUNK * 2).copy(bytes, 0);
    // chunks 2-3 stay zero (holes); data again from chunk 4 to the end.
    new SeededBytes("stored disk tail").bytes(SIZE - CHUNK * 4).copy(bytes, CHUNK * 4);
    writeFileSync(image, bytes);
    rp = (await backupJson(repo, image)).restorePoint;
    opened = await openStoredDisk({
      repo,
      password: () => Promise.resolve(TEST_PASSWORD),
      restorePoint: rp.slice(0, 8),
      operation: "test",
    });
  });
  after(async () => {
    await opened.close();
    tmp.cleanup();
  });

  it("reads any range, across chunk boundaries and holes, as the original bytes", async () => {
    const ranges: [number, number][] = [
      [0, 1],
      [CHUNK - 7, 20],
      [CHUNK * 2 - 100, CHUNK + 200],
      [CHUNK * 3 + 5, CHUNK * 2],
      [SIZE - 10, 10],
      [0, SIZE],
      [SIZE, 0],
    ];
    for (const [offset, length] of ranges) {
      const got = await opened.disk.read(offset, length);
      assert.ok(got.equals(bytes.subarray(offset, offset + length)), `range ${offset}+${length}`);
    }
  });

  it("reports holes and data as merged extents", async () => {
    assert.deepEqual(await opened.disk.extents(), [
      { offset: 0, length: CHUNK * 2, data: true },
      { offset: CHUNK * 2, length: CHUNK * 2, data: false },
      { offset: CHUNK * 4, length: SIZE - CHUNK * 4, data: true },
    ]);
    assert.deepEqual(await opened.disk.extents(CHUNK * 2 + 1, 10), [
      { offset: CHUNK * 2 + 1, length: 10, data: false },
    ]);
  });

  it("refuses a range past the end with a message naming the disk", async () => {
    await assert.rejects(opened.disk.read(SIZE - 1, 2), /past the end of disk 0 .* \(5255225 bytes\)/);
  });

  it("fails a read of a damaged chunk with the disk and offset, and keeps serving others", async () => {
    const layout = await diskLayout(repo, rp);
    const victim = layout.chunks.find((c) => c.offset === CHUNK * 4);
    assert.ok(victim);
    const undo = damageBlob(victim);
    try {
      await assert.rejects(
        opened.disk.read(CHUNK * 4 + 10, 10),
        new RegExp(`at offset ${CHUNK * 4}: .*damaged`),
      );
      const fine = await opened.disk.read(0, 100);
      assert.ok(fine.equals(bytes.subarray(0, 100)));
    } finally {
      undo();
    }
    const again = await opened.disk.read(CHUNK * 4 + 10, 10);
    assert.ok(again.equals(bytes.subarray(CHUNK * 4 + 10, CHUNK * 4 + 20)), "a failed chunk is not cached");
  });

  it("keeps chunks it has read intact in an unencrypted repository while it reads others", async () => {
    // Unencrypted and incompressible, a chunk's plaintext is its stored bytes: the buffer those
    // were read into must not be reused for the next chunk while the first is cached.
    const plain = path.join(tmp.dir, "repo-plain");
    await cliOk(["init", "--repo", plain, "--chunk-size", "256K", "--encryption", "none"]);
    const plainRp = (await backupJson(plain, image)).restorePoint;
    const disk = await openStoredDisk({
      repo: plain,
      password: () => Promise.resolve(TEST_PASSWORD),
      restorePoint: plainRp.slice(0, 8),
      operation: "test",
    });
    const check = async (at: number): Promise<void> => {
      const length = Math.min(CHUNK, SIZE - at);
      const got = await disk.disk.read(at, length);
      assert.ok(got.equals(bytes.subarray(at, at + length)), `chunk at ${at}`);
    };
    try {
      // Each chunk again right after its neighbour: the first comes from the cache then.
      for (let at = 0; at + CHUNK < SIZE; at += CHUNK) {
        await check(at);
        await check(at + CHUNK);
        await check(at);
      }
    } finally {
      await disk.close();
    }
  });

  it("names the disks when asked for one the restore point lacks", async () => {
    await assert.rejects(
      openStoredDisk({
        repo,
        password: () => Promise.resolve(TEST_PASSWORD),
        restorePoint: rp,
        disk: 3,
        operation: "test",
      }),
      /has no disk 3/,
    );
  });
});
