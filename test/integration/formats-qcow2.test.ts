/**
 * The qcow2 reader against qemu-img: images of every layout qemu makes (v2 and v3, cluster sizes,
 * compression, zero clusters, subclusters, backing chains) read byte for byte as qemu reads them,
 * and their allocation maps agree with `qemu-img map`.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import type { DiskImageReader } from "../../main/formats/disk-image.js";
import { ImageFormatError } from "../../main/formats/image-error.js";
import { looksLikeQcow2, openQcow2 } from "../../main/formats/qcow2/index.js";
import { requireTool } from "../support/cli.js";
import {
  KiB,
  MiB,
  assertMapAgrees,
  assertReadsLikeQemu,
  assertZeroRange,
  extentsOf,
  patch,
  qemuImg,
  qemuIo,
  qemuMap,
  requireQemu,
  u64,
} from "../support/qcow2-fixtures.js";
import { makeTempDir } from "../support/tmp.js";

/** Not a multiple of 64 KiB or 2 MiB clusters, so the last cluster is partly outside the disk. */
const BASE_SIZE = 40 * MiB + 3584;

async function withReader(file: string, use: (r: DiskImageReader) => Promise<void>): Promise<void> {
  const reader = await openQcow2(file);
  try {
    await use(reader);
  } finally {
    await reader.close();
  }
}

/** Reads like qemu and maps like qemu (exactly, when no raw file is in the chain). */
async function assertLikeQemu(file: string, exactMap = true): Promise<void> {
  await withReader(file, async (r) => {
    await assertReadsLikeQemu(r, file);
    assertMapAgrees(await extentsOf(r), qemuMap(file), exactMap);
  });
}

describe("qcow2 reader", () => {
  const tmp = makeTempDir("formats-qcow2");
  const dir = tmp.dir;
  const base = path.join(dir, "base.raw");
  const at = (name: string): string => path.join(dir, name);

  before(() => {
    requireQemu();
    requireTool("mkfs.ext4", "e2fsprogs");
    makeExt4Image(base, {
      sizeBytes: BASE_SIZE,
      seed: "qcow2 base",
      textBytes: 5 * MiB,
      randomBytes: 3 * MiB,
    });
  });
  after(() => tmp.cleanup());

  for (const [name, options, variant] of [
    ["v2 (compat=0.10), 64 KiB clusters", "compat=0.10", "v2"],
    ["v3, 512-byte clusters", "compat=1.1,cluster_size=512", "v3"],
    ["v3, 64 KiB clusters", "compat=1.1", "v3"],
    ["v3, 2 MiB clusters", "compat=1.1,cluster_size=2M", "v3"],
    ["v2, 4 KiB clusters", "compat=0.10,cluster_size=4096", "v2"],
  ] as const) {
    it(`reads an ext4 disk in a ${name} image`, async () => {
      const file = at(`${variant}-${options.replace(/[^a-z0-9]/gi, "_")}.qcow2`);
      qemuImg(dir, "convert", "-f", "raw", "-O", "qcow2", "-o", options, base, file);
      assert.ok(looksLikeQcow2(readFileSync(file).subarray(0, 16)));
      await withReader(file, async (r) => {
        assert.equal(r.info.format, "qcow2");
        assert.equal(r.info.variant, variant);
        assert.equal(r.virtualSize, BASE_SIZE);
        assert.ok(readFileSync(base).equals(await readAll(r)), "the disk equals the raw image it came from");
      });
      await assertLikeQemu(file);
    });
  }

  for (const [compression, options] of [
    ["zlib", "compression_type=zlib"],
    ["zstd", "compression_type=zstd"],
    ["zlib with 512-byte clusters", "compression_type=zlib,cluster_size=512"],
    ["zstd with 2 MiB clusters", "compression_type=zstd,cluster_size=2M"],
    ["zlib in a v2 image", "compat=0.10"],
  ] as const) {
    it(`reads compressed clusters (${compression})`, async () => {
      const file = at(`compressed-${options.replace(/[^a-z0-9]/gi, "_")}.qcow2`);
      qemuImg(dir, "convert", "-c", "-f", "raw", "-O", "qcow2", "-o", options, base, file);
      const check = JSON.parse(qemuImg(dir, "check", "--output=json", file)) as Record<string, number>;
      assert.ok((check["compressed-clusters"] ?? 0) > 0, "qemu-img stored compressed clusters");
      await assertLikeQemu(file);
    });
  }

  it("reads zero clusters (v3 zero flag), with and without a preallocated cluster behind them", async () => {
    const file = at("zeros.qcow2");
    qemuImg(dir, "convert", "-f", "raw", "-O", "qcow2", "-o", "compat=1.1", base, file);
    qemuIo(file, "write -z 1M 256k", "write -z -u 3M 1M", "write -P 0x5a 3200k 64k", "write -z 5M 4k");
    // Zeroing allocated clusters keeps their allocation behind the zero flag; -u drops it.
    qemuIo(file, "write -P 0x77 8M 256k", "write -z 8M 128k", "write -z -u 8320k 64k");
    const zeroClusters = qemuMap(file).filter((e) => e.zero && e.present && e.depth === 0);
    assert.ok(zeroClusters.length >= 2, "qemu-img wrote zero clusters");
    await assertLikeQemu(file);
    await withReader(file, async (r) => {
      const extents = await extentsOf(r);
      assertZeroRange(extents, MiB, 256 * KiB);
      assertZeroRange(extents, 3 * MiB, 128 * KiB);
      assertZeroRange(extents, 8 * MiB, 192 * KiB);
    });
  });

  it("reads a three-deep chain (qcow2 on qcow2 on raw) where each layer holds different data", async () => {
    const mid = at("mid.qcow2");
    const top = at("top.qcow2");
    qemuImg(dir, "create", "-f", "qcow2", "-b", "base.raw", "-F", "raw", mid);
    qemuIo(mid, "write -P 0xab 2M 300k", "write -P 0xac 10000k 5000", "write -z 20M 1M");
    // Larger than its backing file: the tail past the chain reads as zeros.
    qemuImg(
      dir,
      "create",
      "-f",
      "qcow2",
      "-o",
      "cluster_size=4096",
      "-b",
      "mid.qcow2",
      "-F",
      "qcow2",
      top,
      "48M",
    );
    qemuIo(
      top,
      "write -P 0xcd 2100k 8k",
      "write -z 6M 128k",
      "write -P 0xce 44M 1M",
      "write -P 0xcf 41M 700",
    );
    await withReader(top, async (r) => {
      assert.deepEqual(
        r.info.chain.map((l) => `${path.basename(l.path)} ${l.format}`),
        ["top.qcow2 qcow2", "mid.qcow2 qcow2", "base.raw raw"],
      );
      assert.equal(r.virtualSize, 48 * MiB);
      const extents = await extentsOf(r);
      assertZeroRange(extents, 6 * MiB, 128 * KiB);
      assertZeroRange(extents, 20 * MiB, MiB);
      assertZeroRange(extents, BASE_SIZE + 64 * KiB, 41 * MiB - BASE_SIZE - 64 * KiB);
    });
    await assertLikeQemu(top, false);
  });

  it("detects the backing format when the image does not name it", async () => {
    // Renaming the backing format extension to an unknown type makes qemu (and us) probe.
    for (const name of ["probe-mid.qcow2", "probe-top.qcow2"]) {
      const backing = name === "probe-mid.qcow2" ? ["base.raw", "raw"] : ["probe-mid.qcow2", "qcow2"];
      qemuImg(dir, "create", "-f", "qcow2", "-b", backing[0] ?? "", "-F", backing[1] ?? "", at(name));
      qemuIo(at(name), `write -P 0x${name.length.toString(16)} 1M 64k`);
      const bytes = readFileSync(at(name));
      const ext = bytes.indexOf(Buffer.from([0xe2, 0x79, 0x2a, 0xca]), 72);
      assert.ok(ext > 0, "qemu wrote a backing format extension");
      patch(at(name), ext, Buffer.from([0x12, 0x34, 0x56, 0x78]));
    }
    await withReader(at("probe-top.qcow2"), async (r) => {
      assert.deepEqual(
        r.info.chain.map((l) => l.format),
        ["qcow2", "qcow2", "raw"],
      );
    });
    await assertLikeQemu(at("probe-top.qcow2"), false);
  });

  it("reads extended L2 entries (subclusters), alone and over a backing file", async () => {
    const alone = at("ext-l2.qcow2");
    qemuImg(dir, "convert", "-f", "raw", "-O", "qcow2", "-o", "extended_l2=on", base, alone);
    qemuIo(alone, "write -z 1M 4k", "write -P 0x11 1030k 2k");
    await assertLikeQemu(alone);
    const layered = at("ext-l2-layered.qcow2");
    qemuImg(dir, "create", "-f", "qcow2", "-o", "extended_l2=on", "-b", "base.raw", "-F", "raw", layered);
    qemuIo(
      layered,
      "write -P 0x21 64k 2k",
      "write -P 0x22 70k 6k",
      "write -z 128k 4k",
      "write -P 0x23 5000k 300k",
      "write -z 9M 2k",
    );
    const own = qemuMap(layered).filter((e) => e.depth === 0);
    assert.ok(
      own.some((e) => e.length % (64 * KiB) !== 0),
      "qemu-img allocated parts of clusters (subclusters)",
    );
    await withReader(layered, async (r) => {
      assertZeroRange(await extentsOf(r), 128 * KiB, 4 * KiB);
    });
    await assertLikeQemu(layered, false);
  });

  it("reads an image marked dirty, and says so", async () => {
    const file = at("dirty.qcow2");
    qemuImg(dir, "convert", "-f", "raw", "-O", "qcow2", base, file);
    patch(file, 72, u64(1n));
    await withReader(file, async (r) => assert.equal(r.info.variant, "v3 (dirty)"));
    await assertLikeQemu(file);
  });

  it("hands backing files of other formats to the injected opener", async () => {
    qemuImg(dir, "create", "-q", "-f", "vmdk", at("other.vmdk"), "4M");
    qemuImg(dir, "create", "-f", "qcow2", "-b", "other.vmdk", "-F", "vmdk", at("on-vmdk.qcow2"));
    await assert.rejects(openQcow2(at("on-vmdk.qcow2")), (e: unknown) => {
      assert.ok(e instanceof ImageFormatError);
      assert.match(e.message, /vmdk image, which the qcow2 reader cannot open by itself/);
      return true;
    });
    const opened: string[] = [];
    const reader = await openQcow2(at("on-vmdk.qcow2"), async (file, format) => {
      opened.push(`${path.basename(file)} ${format}`);
      return openQcow2(at("v3-compat_1_1.qcow2"));
    });
    try {
      assert.deepEqual(opened, ["other.vmdk vmdk"]);
      const piece = Buffer.alloc(64 * KiB);
      await reader.read(MiB, piece);
      assert.ok(piece.equals(readFileSync(base).subarray(MiB, MiB + 64 * KiB)));
    } finally {
      await reader.close();
    }
  });
});

async function readAll(r: DiskImageReader): Promise<Buffer> {
  const all = Buffer.alloc(r.virtualSize);
  await r.read(0, all);
  return all;
}
