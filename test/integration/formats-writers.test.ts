/**
 * Every disk image writer, checked against qemu-img: the image passes `qemu-img check`, reads
 * back identical to the raw source (`qemu-img compare`), keeps holes as holes, handles a huge
 * sparse disk in bounded memory, and leaves nothing behind when aborted.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { promises as fs, readFileSync, readdirSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { WriteFormat } from "../../main/formats/disk-image.js";
import { makeExt4Image, SeededBytes } from "../../main/demo/disk-image.js";
import { crc32c } from "../../main/formats/vhdx/crc32c.js";
import { vmdkGeometry } from "../../main/formats/vmdk/writer-descriptor.js";
import { createDiskImageWriter, type DiskImageWriterOptions } from "../../main/formats/writers.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

const KiB = 1024;
const MiB = 1024 * KiB;
/** Not a multiple of any cluster, grain or block size. */
const VIRTUAL_SIZE = 40 * MiB + 4 * KiB;
const TiB = 1024 * 1024 * MiB;
const ZEROS = Buffer.alloc(MiB);
const FORMATS: WriteFormat[] = ["raw", "qcow2", "vhdx", "vmdk", "vmdk-stream", "vmdk-flat"];

/** The name qemu knows each format by. */
function qemuFormat(format: WriteFormat): string {
  return format.startsWith("vmdk") ? "vmdk" : format;
}

function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

function allocatedBytes(file: string): number {
  return statSync(file).blocks * 512;
}

/** Feeds a raw file to a writer as the restore engine does: 1 MiB pieces, all-zero ones skipped. */
async function writeImage(
  format: WriteFormat,
  source: string,
  out: string,
  pieceSize = MiB,
  options: DiskImageWriterOptions = {},
): Promise<void> {
  const handle = await fs.open(source, "r");
  try {
    const size = (await handle.stat()).size;
    const writer = await createDiskImageWriter(format, out, size, options);
    // One buffer for every piece: a writer must not keep a reference to it after write().
    const buffer = Buffer.alloc(pieceSize);
    for (let offset = 0; offset < size; offset += pieceSize) {
      const piece = buffer.subarray(0, Math.min(pieceSize, size - offset));
      await handle.read(piece, 0, piece.length, offset);
      if (piece.equals(ZEROS.subarray(0, piece.length))) continue;
      await writer.write(offset, piece);
    }
    await writer.finish();
  } finally {
    await handle.close();
  }
}

/** Bytes in the 64 KiB-aligned pieces of `file` that hold any non-zero byte. */
function nonZeroBytes(file: string, unit: number): number {
  const data = readFileSync(file);
  const zeros = Buffer.alloc(unit);
  let total = 0;
  for (let at = 0; at < data.length; at += unit) {
    const piece = data.subarray(at, at + unit);
    if (!piece.equals(zeros.subarray(0, piece.length))) total += unit;
  }
  return total;
}

/** Bytes qemu reports as holding data (allocated in the image, not zero). */
function mappedDataBytes(file: string, format: string): number {
  const map = JSON.parse(qemuImg("map", "--output=json", "-f", format, file)) as {
    length: number;
    data: boolean;
  }[];
  return map.filter((e) => e.data).reduce((sum, e) => sum + e.length, 0);
}

describe("disk image writers", () => {
  const tmp = makeTempDir("formats-writers");
  const source = path.join(tmp.dir, "source.raw");
  let sourceData = 0;

  before(async () => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("mkfs.ext4", "e2fsprogs");
    makeExt4Image(source, { sizeBytes: VIRTUAL_SIZE, seed: "writers", textBytes: 3e6, randomBytes: 2e6 });
    // Data in the last, partial cluster, and a run that starts and ends mid-cluster.
    const rng = new SeededBytes("writers tail");
    const handle = await fs.open(source, "r+");
    await handle.write(rng.bytes(4 * KiB), 0, 4 * KiB, VIRTUAL_SIZE - 4 * KiB);
    await handle.write(rng.bytes(100_000), 0, 100_000, 33 * MiB + 12_345);
    await handle.close();
    sourceData = nonZeroBytes(source, 64 * KiB);
  });
  after(() => tmp.cleanup());

  for (const format of FORMATS) {
    it(`${format}: passes qemu-img check and reads back identical, holes kept`, async () => {
      const out = path.join(tmp.dir, `disk-${format}.img`);
      await writeImage(format, source, out);
      if (format !== "raw") qemuImg("check", "-f", qemuFormat(format), out);
      assert.match(qemuImg("compare", "-f", "raw", "-F", qemuFormat(format), source, out), /identical/);
      const size = statSync(out).size;
      if (format === "raw") {
        assert.equal(size, VIRTUAL_SIZE);
        assert.ok(allocatedBytes(out) <= sourceData + 64 * KiB, `raw allocates ${allocatedBytes(out)}`);
      } else if (format === "vmdk-flat") {
        assert.equal(statSync(path.join(tmp.dir, `disk-${format}.img-flat.vmdk`)).size, VIRTUAL_SIZE);
      } else {
        assert.ok(size < VIRTUAL_SIZE / 2, `${format} is ${size} bytes for ${sourceData} of data`);
      }
      if (format === "qcow2" || format === "vmdk" || format === "vmdk-stream") {
        // Only clusters with data are allocated: what was a hole on the source stays one.
        assert.ok(mappedDataBytes(out, "qcow2" === format ? "qcow2" : "vmdk") <= sourceData);
      }
      assert.deepEqual(
        readdirSync(tmp.dir).filter((n) => n.endsWith(".snapferry-partial")),
        [],
        "no partial file is left behind",
      );
    });
  }

  it("handles writes of any length, not aligned to clusters, grains or blocks", async () => {
    for (const format of ["qcow2", "vhdx", "vmdk", "vmdk-stream"] as const) {
      const out = path.join(tmp.dir, `odd-${format}.img`);
      await writeImage(format, source, out, 192 * KiB + 512);
      qemuImg("check", "-f", qemuFormat(format), out);
      assert.match(qemuImg("compare", "-f", "raw", "-F", qemuFormat(format), source, out), /identical/);
    }
  });

  it("vmdk-stream: converts back to the same raw disk (the ESXi import path)", async () => {
    const out = path.join(tmp.dir, "convert.vmdk");
    await writeImage("vmdk-stream", source, out);
    const back = path.join(tmp.dir, "convert.raw");
    qemuImg("convert", "-f", "vmdk", "-O", "raw", out, back);
    assert.ok(readFileSync(back).equals(readFileSync(source)));
    const info = JSON.parse(qemuImg("info", "--output=json", out)) as {
      "format-specific": { data: { "create-type": string; extents: { compressed: boolean }[] } };
    };
    assert.equal(info["format-specific"].data["create-type"], "streamOptimized");
    assert.equal(info["format-specific"].data.extents[0]?.compressed, true);
    const file = readFileSync(out);
    assert.equal(file.readBigUInt64LE(56), 0xffffffffffffffffn, "the header's gdOffset is GD_AT_END");
    assert.equal(file.readUInt32LE(file.length - 1536 + 12), 3, "a footer marker precedes the footer");
    assert.equal(
      file.readBigUInt64LE(file.length - 1024 + 56) > 0n,
      true,
      "the footer has the real gdOffset",
    );
    assert.ok(file.subarray(file.length - 512).equals(Buffer.alloc(512)), "the file ends with an EOS marker");
  });

  it("vmdk: writes the descriptor VMware expects, with the adapter and flat variant asked for", async () => {
    const sparse = path.join(tmp.dir, "ide.vmdk");
    await writeImage("vmdk", source, sparse, MiB, { adapterType: "ide" });
    const embedded = readFileSync(sparse)
      .subarray(512, 512 * 21)
      .toString("utf8");
    assert.match(embedded, /createType="monolithicSparse"/);
    assert.match(embedded, /ddb\.adapterType = "ide"/);
    assert.match(embedded, /ddb\.geometry\.heads = "16"/);
    assert.match(embedded, /^CID=[0-9a-f]{8}$/m);
    assert.match(embedded, /^parentCID=ffffffff$/m);
    assert.match(embedded, /ddb\.virtualHWVersion = "4"/);

    const vmfs = path.join(tmp.dir, "esxi.vmdk");
    await writeImage("vmdk-flat", source, vmfs);
    const descriptor = readFileSync(vmfs, "utf8");
    assert.match(descriptor, /createType="vmfs"/);
    assert.match(descriptor, /^RW 81928 VMFS "esxi-flat\.vmdk"$/m);
    assert.match(descriptor, /ddb\.adapterType = "lsilogic"/);

    const hosted = path.join(tmp.dir, "hosted.vmdk");
    await writeImage("vmdk-flat", source, hosted, MiB, { flatVariant: "monolithicFlat" });
    assert.match(readFileSync(hosted, "utf8"), /^RW 81928 FLAT "hosted-flat\.vmdk" 0$/m);
    assert.match(qemuImg("compare", "-f", "raw", "-F", "vmdk", source, hosted), /identical/);

    // VMware's geometry: SCSI disks get 64×32 below 1 GiB and 255×63 above 2 GiB; IDE is capped.
    assert.deepEqual(vmdkGeometry(1048576, "lsilogic"), { cylinders: 512, heads: 64, sectors: 32 });
    assert.deepEqual(vmdkGeometry(TiB / 512, "lsilogic"), { cylinders: 133674, heads: 255, sectors: 63 });
    assert.deepEqual(vmdkGeometry(TiB / 512, "ide"), { cylinders: 16383, heads: 16, sectors: 63 });
  });

  it("vhdx: header checksums use CRC-32C", () => {
    assert.equal(crc32c(Buffer.from("123456789")), 0xe3069283);
  });

  it("writes a 1 TiB disk with data at both ends quickly, in bounded memory, as a small file", async () => {
    const piece = Buffer.alloc(MiB);
    for (let i = 0; i < piece.length; i += 32) createHash("sha256").update(String(i)).digest().copy(piece, i);
    const writes = [0, MiB, 2 * MiB + 512, TiB - 3 * MiB, TiB - 2 * MiB, TiB - MiB];
    const expected = path.join(tmp.dir, "huge.raw");
    const handle = await fs.open(expected, "w");
    await handle.truncate(TiB);
    for (const offset of writes) await handle.write(piece, 0, piece.length, offset);
    await handle.close();
    for (const format of FORMATS) {
      const out = path.join(tmp.dir, `huge-${format}.img`);
      const buffersBefore = process.memoryUsage().arrayBuffers;
      const writer = await createDiskImageWriter(format, out, TiB);
      for (const offset of writes) await writer.write(offset, piece);
      const grown = process.memoryUsage().arrayBuffers - buffersBefore;
      assert.ok(grown < 64 * MiB, `${format} holds ${grown} bytes of buffers for a 1 TiB disk`);
      await writer.finish();
      const file = format === "vmdk-flat" ? path.join(tmp.dir, `huge-${format}.img-flat.vmdk`) : out;
      assert.ok(allocatedBytes(file) < 32 * MiB, `${format} takes ${allocatedBytes(file)} bytes on disk`);
      if (format === "qcow2" || format === "vhdx" || format === "vmdk-stream") {
        assert.ok(statSync(out).size < 32 * MiB, `${format} is ${statSync(out).size} bytes`);
      }
      if (format !== "raw") qemuImg("check", "-f", qemuFormat(format), out);
      // Reading all of a terabyte through qemu is slow for most formats: compare both ends.
      for (const offset of [0, TiB - 4 * MiB]) {
        const slice = (driver: string, file: string): string =>
          `driver=raw,offset=${offset},size=${4 * MiB},file.driver=${driver},file.file.driver=file,file.file.filename=${file}`;
        assert.match(
          qemuImg("compare", "--image-opts", slice("raw", expected), slice(qemuFormat(format), out)),
          /identical/,
          `${format} at ${offset}`,
        );
      }
    }
    assert.match(
      qemuImg("compare", "-f", "raw", "-F", "qcow2", expected, path.join(tmp.dir, "huge-qcow2.img")),
      /identical/,
    );
  });

  it("abort() removes every file the writer created", async () => {
    for (const format of FORMATS) {
      const dir = path.join(tmp.dir, `abort-${format}`);
      await fs.mkdir(dir);
      const writer = await createDiskImageWriter(format, path.join(dir, "disk.img"), VIRTUAL_SIZE);
      await writer.write(0, Buffer.alloc(3 * MiB, 7));
      await writer.abort();
      assert.deepEqual(readdirSync(dir), [], format);
    }
  });

  it("refuses sizes a format cannot hold, with advice", async () => {
    await assert.rejects(
      createDiskImageWriter("vmdk", path.join(tmp.dir, "x.vmdk"), 1000),
      /whole number of 512-byte/,
    );
    await assert.rejects(createDiskImageWriter("vhdx", path.join(tmp.dir, "x.vhdx"), 0), /empty/);
    await assert.rejects(createDiskImageWriter("vmdk", path.join(tmp.dir, "x.vmdk"), 4 * TiB), /2 TiB/);
    await assert.rejects(
      createDiskImageWriter("qcow2", path.join(tmp.dir, "none", "x.qcow2"), MiB),
      /does not exist/,
    );
  });
});
