/**
 * The VMDK reader against qemu-img, for every disk type qemu writes and the ones VMware and ESXi
 * write that qemu cannot (stream-optimized with the directory at the end, vmfs descriptors).
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { looksLikeVmdk, openVmdk } from "../../main/formats/vmdk/index.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import {
  GiB,
  KiB,
  MiB,
  assertCovers,
  assertMatchesQemu,
  assertSameBytes,
  assertWindowsMatchQemu,
  collect,
  makeVmfsDescriptor,
  qemuDataRanges,
  qemuImg,
  qemuIo,
  qemuRaw,
  readAll,
  writeVmwareStream,
} from "../support/vmdk-fixtures.js";

/** Not a multiple of the 64 KiB grain, so the last grain is partial. */
const DISK_SIZE = 10 * MiB + 12 * KiB;

describe("VMDK reader: disk types", () => {
  const tmp = makeTempDir("formats-vmdk");
  const raw = path.join(tmp.dir, "disk.raw");
  let rawBytes: Buffer;

  before(() => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    makeExt4Image(raw, { sizeBytes: DISK_SIZE, seed: "vmdk reader", textBytes: 1.5 * MiB, randomBytes: MiB });
    // Data in the partial last grain, which the file system leaves empty.
    rawBytes = readFileSync(raw);
    rawBytes.write("the last bytes of the disk", DISK_SIZE - 100, "latin1");
    writeFileSync(raw, rawBytes);
  });
  after(() => tmp.cleanup());

  for (const subformat of [
    "monolithicSparse",
    "monolithicFlat",
    "twoGbMaxExtentSparse",
    "twoGbMaxExtentFlat",
    "streamOptimized",
  ]) {
    it(`reads a qemu-img ${subformat} disk holding ext4 byte for byte`, async () => {
      const image = path.join(tmp.dir, `${subformat}.vmdk`);
      qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", `subformat=${subformat}`, raw, image);
      const reader = await openVmdk(image);
      try {
        assert.equal(reader.info.format, "vmdk");
        assert.equal(reader.info.variant, subformat);
        assert.equal(reader.virtualSize, DISK_SIZE);
        assert.equal(reader.info.chain.length, 1);
        const extents = await assertMatchesQemu(reader, image);
        assertSameBytes(await readAll(reader), rawBytes, "the original raw disk");
        // Flat extent files are sparse (qemu leaves the zeros as holes), so every type has holes.
        const dataBytes = extents.filter((e) => e.kind === "data").reduce((n, e) => n + e.length, 0);
        assert.ok(
          extents.some((e) => e.kind === "zero"),
          "the file system's free space is holes",
        );
        assert.ok(dataBytes < DISK_SIZE / 2, `only the used part is data (${dataBytes} bytes)`);
      } finally {
        await reader.close();
      }
    });
  }

  it("reads a VMware stream-optimized disk whose grain directory is in the footer", async () => {
    const image = path.join(tmp.dir, "vmware-stream.vmdk");
    writeVmwareStream(rawBytes, image);
    const reader = await openVmdk(image);
    try {
      assert.equal(reader.info.variant, "streamOptimized");
      await assertMatchesQemu(reader, image);
      assertSameBytes(await readAll(reader), rawBytes, "the original raw disk");
    } finally {
      await reader.close();
    }
  });

  for (const createType of ["vmfs", "vmfsThin"] as const) {
    it(`reads an ESXi ${createType} disk (descriptor and -flat.vmdk)`, async () => {
      const image = path.join(tmp.dir, `esxi-${createType}.vmdk`);
      qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicFlat", raw, image);
      makeVmfsDescriptor(image, createType);
      const reader = await openVmdk(image);
      try {
        assert.equal(reader.info.variant, createType);
        assert.match(readFileSync(image, "latin1"), / VMFS "/);
        // qemu knows "vmfs" but not "vmfsThin": the original raw disk is the reference for both.
        assertSameBytes(await readAll(reader, 300 * KiB + 512), rawBytes, image);
        const extents = await collect(reader);
        assertCovers(extents, DISK_SIZE);
        const zeros = extents.filter((e) => e.kind === "zero");
        assert.ok(zeros.length > 0, "the allocation map comes from the -flat file's holes");
        for (const e of zeros) {
          assert.ok(
            rawBytes.subarray(e.offset, e.offset + e.length).every((b) => b === 0),
            `hole at ${e.offset}`,
          );
        }
      } finally {
        await reader.close();
      }
    });
  }

  it("reads a descriptor that mixes a FLAT extent at an offset, a ZERO extent and a SPARSE extent", async () => {
    const flat = path.join(tmp.dir, "mixed-flat.bin");
    const sparse = path.join(tmp.dir, "mixed-sparse.vmdk");
    const image = path.join(tmp.dir, "mixed.vmdk");
    writeFileSync(flat, rawBytes.subarray(0, 3 * MiB));
    qemuImg("create", "-q", "-f", "vmdk", sparse, "4M");
    qemuIo(sparse, "write -P 0x5a 100k 200k");
    writeFileSync(
      image,
      `# Disk DescriptorFile\nversion=1\nCID=0badcafe\nparentCID=ffffffff\ncreateType="custom"\n\n` +
        `RW 4096 FLAT "mixed-flat.bin" 1024\nRW 1000 ZERO\nRDONLY 8192 SPARSE "mixed-sparse.vmdk"\n`,
    );
    const want = Buffer.concat([
      rawBytes.subarray(512 * KiB, 2560 * KiB),
      Buffer.alloc(1000 * 512),
      readFileSync(qemuRaw(sparse)),
    ]);
    const reader = await openVmdk(image);
    try {
      assertSameBytes(await readAll(reader, 300 * KiB + 512), want, "mixed extents");
      const extents = await collect(reader);
      assertCovers(extents, want.length);
      assert.deepEqual(extents.slice(0, 3), [
        { offset: 0, length: 2 * MiB, kind: "data" },
        { offset: 2 * MiB, length: 1000 * 512 + 64 * KiB, kind: "zero" },
        { offset: 2 * MiB + 1000 * 512 + 64 * KiB, length: 256 * KiB, kind: "data" },
      ]);
    } finally {
      await reader.close();
    }
  });

  it("reads a disk of 40 extent files, more than it keeps open at once", async () => {
    const dir = path.join(tmp.dir, "many");
    mkdirSync(dir);
    const lines: string[] = [];
    for (let i = 0; i < 40; i++) {
      const name = `many-s${String(i + 1).padStart(3, "0")}.vmdk`;
      // Alternate flat and sparse extents, each holding its own slice of the ext4 disk.
      const slice = rawBytes.subarray(i * 256 * KiB, (i + 1) * 256 * KiB);
      if (i % 2 === 0) {
        writeFileSync(path.join(dir, name), slice);
        lines.push(`RW 512 FLAT "${name}" 0`);
      } else {
        writeFileSync(path.join(dir, "slice.raw"), slice);
        qemuImg("convert", "-f", "raw", "-O", "vmdk", path.join(dir, "slice.raw"), path.join(dir, name));
        lines.push(`RW 512 SPARSE "${name}"`);
      }
    }
    const image = path.join(dir, "many.vmdk");
    writeFileSync(
      image,
      `version=1
CID=01020304
parentCID=ffffffff
createType="custom"
${lines.join("\n")}\n`,
    );
    const reader = await openVmdk(image);
    try {
      const want = rawBytes.subarray(0, 40 * 256 * KiB);
      assertSameBytes(await readAll(reader, 700 * KiB), want, "40 extents");
      assertSameBytes(await readAll(reader, 3 * MiB), want, "40 extents, reads spanning many files");
      assertCovers(await collect(reader), want.length);
    } finally {
      await reader.close();
    }
  });

  it("reads a twoGbMaxExtentSparse disk of several extent files, with data across a 2 GiB boundary", async () => {
    const image = path.join(tmp.dir, "split-sparse.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentSparse", image, "4100M");
    qemuIo(image, "write -P 0x11 0 64k", "write -P 0x22 2047M 2M", "write -P 0x33 4099M 1M");
    const reader = await openVmdk(image);
    try {
      assert.equal(reader.descriptors[0]?.extents.length, 3);
      assert.equal(reader.virtualSize, 4100 * MiB);
      await assertWindowsMatchQemu(reader, image, [
        [0, 4 * MiB],
        [2 * GiB - 3 * MiB, 6 * MiB + 12 * KiB],
        [4100 * MiB - 3 * MiB, 3 * MiB],
      ]);
      const extents = await collect(reader);
      assertCovers(extents, reader.virtualSize);
      const data = extents.filter((e) => e.kind === "data").map((e) => [e.offset, e.length]);
      assert.deepEqual(data, qemuDataRanges(image));
    } finally {
      await reader.close();
    }
  });

  it("reads a twoGbMaxExtentFlat disk of several extent files across the 2 GiB boundary", async () => {
    const image = path.join(tmp.dir, "split-flat.vmdk");
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=twoGbMaxExtentFlat", image, "2049M");
    qemuIo(image, "write -P 0x44 2047M 2M", "write -P 0x55 2048M 12k");
    const reader = await openVmdk(image);
    try {
      assert.equal(reader.descriptors[0]?.extents.length, 2);
      await assertWindowsMatchQemu(reader, image, [
        [0, MiB],
        [2 * GiB - 2 * MiB - 512, 3 * MiB + 512],
        [2049 * MiB - MiB, MiB],
      ]);
      // qemu's map calls all of a flat extent data; the reader finds the -f00N files' holes.
      const data = (await collect(reader)).filter((e) => e.kind === "data");
      assert.ok(data.some((e) => e.offset <= 2047 * MiB && e.offset + e.length >= 2049 * MiB));
      assert.ok(data.reduce((n, e) => n + e.length, 0) < 3 * MiB, "the rest of the 2 GiB are holes");
    } finally {
      await reader.close();
    }
  });

  it("recognises VMDK heads for format detection", () => {
    const sparse = readFileSync(path.join(tmp.dir, "monolithicSparse.vmdk")).subarray(0, 512);
    const descriptor = readFileSync(path.join(tmp.dir, "monolithicFlat.vmdk")).subarray(0, 512);
    assert.ok(looksLikeVmdk(sparse), "hosted sparse header");
    assert.ok(looksLikeVmdk(descriptor), "text descriptor padded with NULs");
    assert.ok(looksLikeVmdk(Buffer.from('version=1\ncreateType="vmfs"\n')), "descriptor without the comment");
    assert.ok(looksLikeVmdk(Buffer.concat([Buffer.from("COWD"), Buffer.alloc(508)])), "ESXi sparse delta");
    const seSparse = Buffer.alloc(512);
    seSparse.writeBigUInt64LE(0xcafebaben, 0);
    assert.ok(looksLikeVmdk(seSparse), "seSparse, so the user gets the seSparse message");
    assert.ok(!looksLikeVmdk(rawBytes.subarray(0, 4096)), "an ext4 raw disk");
    assert.ok(!looksLikeVmdk(Buffer.from("QFI\xfb\0\0\0\x03", "latin1")), "qcow2");
    assert.ok(!looksLikeVmdk(Buffer.alloc(512)), "zeros");
  });
});
