/**
 * The exFAT reader on hand-made bytes: boot-sector validation, entry-set decoding (names across
 * several File Name entries, timestamps, malformed lengths and checksums), and FAT chains that
 * loop or end early, each ending in a clear image-format error.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { parseBootSector } from "../../main/flr/exfat/boot-sector.js";
import { checksum, parseDirectory, parseEntrySet, timestamp } from "../../main/flr/exfat/entry-set.js";
import { extractExfat, listExfat } from "../../main/flr/exfat/exfat-extract.js";
import { makeTempDir } from "../support/tmp.js";

const SECTOR = 512;
const VOLUME = 16 * 1024 * 1024;
const FAT_AT = 128 * SECTOR;
const HEAP_AT = 256 * SECTOR;
const CLUSTER = 4096;

/** A valid boot sector: 512-byte sectors, 4 KiB clusters, 16 MiB, root at cluster 4. */
function bootSector(patch: (b: Buffer) => void = () => undefined): Buffer {
  const b = Buffer.alloc(SECTOR);
  b.write("EXFAT   ", 3, "latin1");
  b.writeBigUInt64LE(BigInt(VOLUME / SECTOR), 72);
  b.writeUInt32LE(FAT_AT / SECTOR, 80);
  b.writeUInt32LE(128, 84);
  b.writeUInt32LE(HEAP_AT / SECTOR, 88);
  b.writeUInt32LE((VOLUME - HEAP_AT) / CLUSTER, 92);
  b.writeUInt32LE(4, 96);
  b.writeUInt8(9, 108);
  b.writeUInt8(3, 109);
  b.writeUInt8(1, 110);
  b.writeUInt16LE(0xaa55, 510);
  patch(b);
  return b;
}

function imageFormat(pattern: RegExp): (err: unknown) => boolean {
  return (err) => err instanceof SnapferryError && err.code === "image-format" && pattern.test(err.message);
}

interface FileSpec {
  name: string;
  dir?: boolean;
  firstCluster?: number;
  dataLength?: number;
  validDataLength?: number;
  noFatChain?: boolean;
  secondaries?: number;
}

/** A File entry set with a correct checksum (unless the caller breaks it afterwards). */
function entrySet(f: FileSpec): Buffer {
  const nameEntries = Math.ceil(f.name.length / 15);
  const secondaries = f.secondaries ?? 1 + nameEntries;
  const set = Buffer.alloc(32 * Math.max(secondaries + 1, 2 + nameEntries));
  set.writeUInt8(0x85, 0);
  set.writeUInt8(secondaries, 1);
  set.writeUInt16LE(f.dir ? 0x10 : 0x20, 4);
  // 2021-03-04 05:06:07.89 at UTC+01:00.
  set.writeUInt32LE(((2021 - 1980) << 25) | (3 << 21) | (4 << 16) | (5 << 11) | (6 << 5) | 3, 12);
  set.writeUInt8(189, 21);
  set.writeUInt8(0x80 | 4, 23);
  set.writeUInt8(0xc0, 32);
  set.writeUInt8(1 | (f.noFatChain ? 2 : 0), 33);
  set.writeUInt8(f.name.length, 35);
  set.writeBigUInt64LE(BigInt(f.validDataLength ?? f.dataLength ?? 0), 40);
  set.writeUInt32LE(f.firstCluster ?? 0, 52);
  set.writeBigUInt64LE(BigInt(f.dataLength ?? 0), 56);
  for (let i = 0; i < nameEntries; i++) {
    const at = 64 + i * 32;
    set.writeUInt8(0xc1, at);
    set.write(f.name.slice(i * 15, i * 15 + 15), at + 2, "utf16le");
  }
  const full = set.subarray(0, 32 * (secondaries + 1));
  full.writeUInt16LE(checksum(full), 2);
  return full;
}

describe("exFAT boot sector", () => {
  it("reads a valid boot sector's geometry", () => {
    const g = parseBootSector(bootSector(), VOLUME);
    assert.deepEqual(g, {
      bytesPerSector: 512,
      clusterSize: CLUSTER,
      fatOffset: FAT_AT,
      fatBytes: 128 * SECTOR,
      heapOffset: HEAP_AT,
      clusterCount: (VOLUME - HEAP_AT) / CLUSTER,
      rootCluster: 4,
      volumeBytes: VOLUME,
    });
  });

  it("uses the second FAT when VolumeFlags says so", () => {
    const g = parseBootSector(
      bootSector((b) => {
        b.writeUInt8(2, 110);
        b.writeUInt32LE(64, 84);
        b.writeUInt16LE(1, 106);
      }),
      VOLUME,
    );
    assert.equal(g.fatOffset, FAT_AT + 64 * SECTOR);
  });

  it("names the field that is out of bounds", () => {
    const cases: [string, (b: Buffer) => void, RegExp][] = [
      ["truncated", () => undefined, /truncated \(100 of 512 bytes\)/],
      ["not exFAT", (b) => b.write("NTFS    ", 3, "latin1"), /"EXFAT {3}" signature/],
      ["no 0xAA55", (b) => b.writeUInt16LE(0, 510), /0xAA55/],
      ["sector shift", (b) => b.writeUInt8(13, 108), /BytesPerSectorShift is 13, outside 9\.\.12/],
      ["cluster shift", (b) => b.writeUInt8(17, 109), /SectorsPerClusterShift is 17, outside 0\.\.16/],
      ["volume length", (b) => b.writeBigUInt64LE(1n << 40n, 72), /VolumeLength is 1099511627776/],
      ["fat offset", (b) => b.writeUInt32LE(3, 80), /FatOffset is 3, outside 24\.\./],
      ["fat count", (b) => b.writeUInt8(3, 110), /NumberOfFats is 3/],
      ["heap offset", (b) => b.writeUInt32LE(200, 88), /ClusterHeapOffset is 200, outside 256\.\./],
      [
        "cluster count",
        (b) => b.writeUInt32LE(0xfffffff0, 92),
        /ClusterCount is 4294967280, outside 1\.\.4064/,
      ],
      ["root", (b) => b.writeUInt32LE(1, 96), /FirstClusterOfRootDirectory is 1, outside 2\.\.4065/],
      ["root past end", (b) => b.writeUInt32LE(5000, 96), /FirstClusterOfRootDirectory is 5000/],
    ];
    for (const [what, patch, message] of cases) {
      const head = what === "truncated" ? bootSector().subarray(0, 100) : bootSector(patch);
      assert.throws(() => parseBootSector(head, VOLUME), imageFormat(message), what);
    }
    // A volume longer than the file that holds it (a partition cut short).
    assert.throws(
      () => parseBootSector(bootSector(), VOLUME / 2),
      imageFormat(/VolumeLength is 32768, outside/),
    );
  });
});

describe("exFAT entry sets", () => {
  it("decodes names across File Name entries, sizes and times", () => {
    const long = "a rather long file name é.txt";
    const dir = Buffer.concat([
      Buffer.from([0x83, 3, 0x41, 0, 0x42, 0, 0x43, 0, ...Array<number>(24).fill(0)]), // volume label
      Buffer.concat([Buffer.from([0x05]), entrySet({ name: "gone" }).subarray(1)]), // deleted
      entrySet({ name: long, firstCluster: 9, dataLength: 5000, validDataLength: 4000 }),
      entrySet({ name: "sub", dir: true, firstCluster: 7, dataLength: 4096, noFatChain: true }),
      Buffer.alloc(32), // end of directory
      entrySet({ name: "after the end" }),
    ]);
    const entries = parseDirectory(dir, "test");
    assert.deepEqual(
      entries.map((e) => [e.name, e.dir, e.firstCluster, e.dataLength, e.validDataLength, e.noFatChain]),
      [
        [long, false, 9, 5000, 4000, false],
        ["sub", true, 7, 4096, 4096, true],
      ],
    );
    assert.equal(entries[0]?.mtime, "2021-03-04T04:06:07.890Z");
  });

  it("reads timestamps with 10 ms steps and UTC offsets", () => {
    const t = ((2000 - 1980) << 25) | (1 << 21) | (1 << 16) | (0 << 11) | (30 << 5) | 29;
    assert.equal(timestamp(t, 150, 0), "2000-01-01T00:30:59.500Z");
    assert.equal(timestamp(t, 0, 0x80 | 0x7c), "2000-01-01T01:30:58.000Z"); // UTC-01:00
    assert.equal(timestamp(t, 200, 0), null);
    assert.equal(timestamp(((2021 - 1980) << 25) | (2 << 21) | (30 << 16), 0, 0), null); // 30 February
  });

  it("rejects malformed lengths and checksums with the reason", () => {
    const wrongSum = entrySet({ name: "x" });
    wrongSum.writeUInt16LE(wrongSum.readUInt16LE(2) ^ 1, 2);
    const noStream = entrySet({ name: "x" });
    noStream.writeUInt8(0xc1, 32);
    noStream.writeUInt16LE(checksum(noStream), 2);
    const cases: [Buffer, RegExp][] = [
      [entrySet({ name: "x", secondaries: 1 }), /1 secondary entries \(must be 2\.\.18\)/],
      [entrySet({ name: "x", secondaries: 19 }), /runs past the end|19 secondary entries/],
      [entrySet({ name: "sixteen chars xx", secondaries: 2 }), /name length of 16 in 1 entries/],
      [entrySet({ name: "x" }).subarray(0, 64), /runs past the end of its directory/],
      [wrongSum, /wrong checksum/],
      [noStream, /not followed by a stream extension/],
      [
        entrySet({ name: "v", dataLength: 10, validDataLength: 11 }),
        /more valid data \(11\) than data \(10\)/,
      ],
    ];
    for (const [data, message] of cases) {
      assert.throws(() => parseEntrySet(data, 0, "test"), imageFormat(message), message.source);
    }
  });
});

describe("exFAT cluster chains", () => {
  const tmp = makeTempDir("exfat-unit");
  after(() => tmp.cleanup());

  /** A volume file: boot sector, FAT entries as given, and root directory bytes at cluster 4. */
  function volume(
    name: string,
    fat: Record<number, number>,
    root: Buffer,
    clusters: Record<number, Buffer> = {},
  ) {
    const file = path.join(tmp.dir, name);
    const image = Buffer.alloc(VOLUME);
    bootSector().copy(image, 0);
    for (const [cluster, next] of Object.entries(fat))
      image.writeUInt32LE(next, FAT_AT + Number(cluster) * 4);
    root.copy(image, HEAP_AT + (4 - 2) * CLUSTER);
    for (const [cluster, data] of Object.entries(clusters))
      data.copy(image, HEAP_AT + (Number(cluster) - 2) * CLUSTER);
    writeFileSync(file, image);
    return file;
  }

  it("follows a fragmented chain and reads past valid data as zeros", async () => {
    const root = entrySet({
      name: "f.bin",
      firstCluster: 10,
      dataLength: 3 * CLUSTER,
      validDataLength: 2 * CLUSTER + 5,
    });
    const file = volume("ok.img", { 4: 0xffffffff, 10: 20, 20: 11, 11: 0xffffffff }, root, {
      10: Buffer.alloc(CLUSTER, 1),
      20: Buffer.alloc(CLUSTER, 2),
      11: Buffer.alloc(CLUSTER, 3),
    });
    const out = path.join(tmp.dir, "out");
    await extractExfat(file, [], out);
    const { readFileSync } = await import("node:fs");
    const got = readFileSync(path.join(out, "f.bin"));
    const want = Buffer.concat([
      Buffer.alloc(CLUSTER, 1),
      Buffer.alloc(CLUSTER, 2),
      Buffer.alloc(5, 3),
      Buffer.alloc(CLUSTER - 5),
    ]);
    assert.ok(got.equals(want));
  });

  it("ends a root directory chain that loops", async () => {
    const file = volume("root-loop.img", { 4: 5, 5: 4 }, entrySet({ name: "a" }));
    await assert.rejects(listExfat(file), imageFormat(/the root folder's cluster chain loops/));
  });

  it("ends a file chain that loops, one that ends early, and one that leaves the volume", async () => {
    const big = (c: number): Buffer => entrySet({ name: "f", firstCluster: c, dataLength: 4 * CLUSTER });
    const loop = volume("file-loop.img", { 4: 0xffffffff, 10: 11, 11: 10 }, big(10));
    await assert.rejects(
      extractExfat(loop, [], path.join(tmp.dir, "o1")),
      imageFormat(/"f"'s cluster chain loops/),
    );
    const short = volume("file-short.img", { 4: 0xffffffff, 10: 0xffffffff }, big(10));
    await assert.rejects(
      extractExfat(short, [], path.join(tmp.dir, "o2")),
      imageFormat(/chain ends after 1 of 4 clusters/),
    );
    const outside = volume("file-out.img", { 4: 0xffffffff, 10: 99999 }, big(10));
    await assert.rejects(
      extractExfat(outside, [], path.join(tmp.dir, "o3")),
      imageFormat(/cluster 99999, outside/),
    );
    const tooBig = volume(
      "too-big.img",
      { 4: 0xffffffff },
      entrySet({ name: "f", firstCluster: 10, dataLength: 2 ** 40 }),
    );
    await assert.rejects(
      extractExfat(tooBig, [], path.join(tmp.dir, "o4")),
      imageFormat(/more than the volume holds/),
    );
  });

  it("never lists a name that could climb out of the target", async () => {
    const root = Buffer.concat([
      entrySet({ name: ".." }),
      entrySet({ name: "a/b" }),
      entrySet({ name: "ok" }),
    ]);
    const file = volume("names.img", { 4: 0xffffffff }, root);
    assert.deepEqual(
      (await listExfat(file)).map((i) => i.path),
      ["ok"],
    );
  });
});
