import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { ChunkIndex } from "../../main/repository/chunk-index.js";
import { BlobType, Compression } from "../../main/repository/file-formats.js";
import type { PackEntry } from "../../main/repository/pack-table.js";

function entry(id: Buffer, offset: number): PackEntry {
  return {
    id,
    offset,
    type: BlobType.data,
    compression: Compression.zstd,
    storedLength: 100 + offset,
    rawLength: 1000,
  };
}

describe("ChunkIndex", () => {
  it("finds every one of 100,000 ids after growing, and none that were not added", () => {
    const index = new ChunkIndex();
    const ids = Array.from({ length: 100_000 }, () => randomBytes(32));
    for (let p = 0; p < 100; p++) {
      index.addPack(
        `pack${p}`,
        1,
        ids.slice(p * 1000, (p + 1) * 1000).map((id, i) => entry(id, i)),
      );
    }
    assert.equal(index.size, 100_000);
    for (const [n, id] of ids.entries()) {
      const loc = index.get(id);
      assert.ok(loc, `id ${n} missing`);
      assert.equal(loc.packId, `pack${Math.floor(n / 1000)}`);
      assert.equal(loc.offset, n % 1000);
      assert.equal(loc.storedLength, 100 + (n % 1000));
    }
    for (let i = 0; i < 1000; i++) assert.equal(index.has(randomBytes(32)), false);
  });

  it("keeps the first location of a blob stored twice", () => {
    const index = new ChunkIndex();
    const id = randomBytes(32);
    index.addPack("a", 10, [entry(id, 8)]);
    index.addPack("b", 10, [entry(id, 9)]);
    assert.equal(index.size, 1);
    assert.equal(index.get(id)?.packId, "a");
    assert.deepEqual(
      index.packs().map((p) => p.id),
      ["a", "b"],
    );
  });

  it("handles ids that share their first four bytes (one hash bucket)", () => {
    const index = new ChunkIndex();
    const ids = Array.from({ length: 50 }, () => {
      const id = randomBytes(32);
      id.writeUInt32LE(7, 0);
      return id;
    });
    index.addPack(
      "p",
      1,
      ids.map((id, i) => entry(id, i)),
    );
    ids.forEach((id, i) => assert.equal(index.get(id)?.offset, i));
  });
});
