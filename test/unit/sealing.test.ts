import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { describe, it } from "node:test";
import { CorruptDataError, WrongPasswordError } from "../../main/common/errors.js";
import { BlobEncoder, decodeBlob } from "../../main/repository/blob-codec.js";
import { createKeyFile, generateMasterKeys, openKeyFile } from "../../main/repository/key-file.js";
import { Sealer } from "../../main/repository/sealer.js";
import { pageAlignedBuffer } from "../../main/workers/aligned-buffer.js";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { makeTempDir } from "../support/tmp.js";

const FAST = { N: 1024, r: 8, p: 1 };

describe("sealing and keys", () => {
  for (const encrypted of [true, false]) {
    it(`round-trips blobs and detects any flipped byte (${encrypted ? "encrypted" : "unencrypted"})`, () => {
      const sealer = new Sealer(encrypted ? generateMasterKeys() : null);
      const encoder = new BlobEncoder(sealer);
      for (const plaintext of [Buffer.alloc(70000, "a"), randomBytes(70000), Buffer.alloc(1, 9)]) {
        const id = sealer.chunkId(plaintext);
        const blob = encoder.encode(plaintext);
        assert.deepEqual(
          decodeBlob(sealer, blob.stored, blob.compression, plaintext.length, id, "b"),
          plaintext,
        );
        for (const at of [0, Math.floor(blob.stored.length / 2), blob.stored.length - 1]) {
          const bad = Buffer.from(blob.stored);
          bad[at] = (bad[at] ?? 0) ^ 1;
          assert.throws(
            () => decodeBlob(sealer, bad, blob.compression, plaintext.length, id, "b"),
            CorruptDataError,
          );
        }
      }
    });
  }

  it("decodes into a recycled buffer when one is given, compressed or not", () => {
    const sealer = new Sealer(generateMasterKeys());
    const encoder = new BlobEncoder(sealer);
    const into = pageAlignedBuffer(100000);
    for (const plaintext of [Buffer.alloc(70000, "a"), randomBytes(70000)]) {
      into.fill(0xee);
      const blob = encoder.encode(plaintext);
      const id = sealer.chunkId(plaintext);
      const out = decodeBlob(sealer, blob.stored, blob.compression, plaintext.length, id, "b", into);
      assert.equal(out.buffer, into.buffer, "the plaintext is in the given buffer");
      assert.deepEqual(out, plaintext);
    }
    // Too small to hold the plaintext: a buffer of its own instead, never a short write.
    const plaintext = randomBytes(200000);
    const blob = encoder.encode(plaintext);
    const out = decodeBlob(
      sealer,
      blob.stored,
      blob.compression,
      plaintext.length,
      sealer.chunkId(plaintext),
      "b",
      into,
    );
    assert.notEqual(out.buffer, into.buffer);
    assert.deepEqual(out, plaintext);
  });

  it("keys chunk ids: the same data has different ids in different repositories", () => {
    const data = Buffer.from("same content");
    assert.notDeepEqual(
      new Sealer(generateMasterKeys()).chunkId(data),
      new Sealer(generateMasterKeys()).chunkId(data),
    );
    assert.deepEqual(new Sealer(null).chunkId(data), new Sealer(null).chunkId(data));
  });

  it("unwraps keys with the right password only, and only for its own repository", async () => {
    const tmp = makeTempDir("keys");
    try {
      const keys = generateMasterKeys();
      const file = path.join(tmp.dir, "key");
      writeFileSync(file, await createKeyFile(keys, "pässword", "a".repeat(32), FAST));
      const opened = await openKeyFile(file, "pässword", "a".repeat(32), "R");
      assert.deepEqual(opened.encryptionKey, keys.encryptionKey);
      assert.deepEqual(opened.chunkIdKey, keys.chunkIdKey);
      await assert.rejects(openKeyFile(file, "wrong", "a".repeat(32), "R"), WrongPasswordError);
      await assert.rejects(openKeyFile(file, "pässword", "b".repeat(32), "R"), WrongPasswordError);
    } finally {
      tmp.cleanup();
    }
  });
});
