/**
 * The VHDX reader against qemu-img: dynamic and fixed images holding an ext4 file system read
 * byte for byte as qemu reads them; differencing chains (which qemu cannot write, so the test
 * writes them from the spec) read as their parents overlaid with the child's blocks; damaged
 * files fail with a clear ImageFormatError, never a hang or a crash.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, truncateSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { looksLikeVhdx, openVhdx } from "../../main/formats/vhdx/index.js";
import { makeImageFixture } from "../support/image-fixture.js";
import {
  KiB,
  MiB,
  assertAllocation,
  assertReads,
  bytesOfKind,
  fuzz,
  imageError,
  patch,
  qemuImg,
  qemuRaw,
  readBytes,
  withReader,
} from "../support/vhd-fixtures.js";
import {
  BAT_GUID,
  HEADER_OFFSETS,
  METADATA_GUID,
  REGION_TABLE_OFFSETS,
  VIRTUAL_DISK_SIZE,
  currentHeaderOffset,
  dataWriteGuid,
  fixCrc,
  guidBytes,
  editRegionTables,
  metadataItem,
  setLogGuid,
  writeLogEntry,
  overlayChild,
  region,
  writeDifferencingVhdx,
  type ChildBlock,
} from "../support/vhdx-fixtures.js";

/** Not a multiple of 1 MiB or 32 MiB: the last block is partly outside the disk. */
const DISK = 160 * MiB + 1536;

describe("VHDX reader", { timeout: 120_000 }, () => {
  let dir = "";
  let cleanup = () => {};
  let raw = "";
  /** A small qemu-made dynamic image with data in a few blocks, for the damage tests. */
  let small = "";

  before(() => {
    ({ dir, raw, small, cleanup } = makeImageFixture({
      ext: "vhdx",
      format: "vhdx",
      createOptions: "block_size=1M",
      diskBytes: DISK,
      seed: "vhdx reader",
    }));
  });
  after(() => cleanup());

  /** A copy of the small image to damage. */
  function damaged(name: string): string {
    const file = path.join(dir, `${name}.vhdx`);
    copyFileSync(small, file);
    return file;
  }

  for (const [subformat, blockMiB] of [
    ["dynamic", 1],
    ["dynamic", 32],
    ["fixed", 1],
    ["fixed", 32],
  ] as const) {
    it(`reads a ${subformat} VHDX with ${blockMiB} MiB blocks like qemu-img`, async () => {
      const file = path.join(dir, `${subformat}-${blockMiB}.vhdx`);
      qemuImg(
        "convert",
        "-f",
        "raw",
        "-O",
        "vhdx",
        "-o",
        `subformat=${subformat},block_size=${blockMiB}M`,
        raw,
        file,
      );
      const want = qemuRaw(file, "vhdx");
      assert.ok(want.equals(readFileSync(raw)), "qemu reads back the ext4 image");
      await withReader(openVhdx(file), async (r) => {
        assert.equal(r.info.format, "vhdx");
        assert.equal(r.info.variant, subformat);
        assert.equal(r.info.chain.length, 1);
        await assertReads(r, want, path.basename(file));
        const extents = await assertAllocation(r, want, path.basename(file));
        assert.ok(
          bytesOfKind(extents, "zero") >= 32 * MiB,
          "the file system's free space is mapped as holes",
        );
        assert.ok(bytesOfKind(extents, "data") >= 7 * MiB, "the files are mapped as data");
      });
    });
  }

  it("reads ZERO, UNDEFINED and UNMAPPED blocks (and 0.95's UNMAPPED) as zeros, like qemu-img", async () => {
    const file = damaged("states");
    const bat = region(file, BAT_GUID);
    // Blocks 0, 1, 2 and 20 hold data; give each another state.
    for (const [block, state] of [
      [0, 2],
      [1, 1],
      [2, 3],
      [20, 5],
    ] as const) {
      patch(file, bat.offset + block * 8, Buffer.from([state]));
    }
    const want = qemuRaw(file, "vhdx");
    assert.ok(want.subarray(0, 3 * MiB).every((b) => b === 0));
    await withReader(openVhdx(file), async (r) => {
      await assertReads(r, want, "states");
      const extents = await assertAllocation(r, want, "states");
      assert.deepEqual(extents[0], { offset: 0, length: 5 * MiB, kind: "zero" });
    });
  });

  describe("differencing disks", () => {
    let parentRaw: Buffer = Buffer.alloc(0);
    let chainDir = "";
    let childFile = "";
    let childWant: Buffer = Buffer.alloc(0);
    let childGuid = "";
    const rng = new SeededBytes("vhdx differencing");

    before(() => {
      chainDir = path.join(dir, "chain");
      mkdirSync(path.join(chainDir, "base"), { recursive: true });
      const parent = path.join(chainDir, "base", "parent.vhdx");
      copyFileSync(small, parent);
      parentRaw = qemuRaw(parent, "vhdx");
      const blockSize = 2 * MiB;
      const blocks = new Map<number, ChildBlock>([
        [0, { state: "full", data: rng.bytes(blockSize) }],
        [2, { state: "partial", data: rng.bytes(blockSize), present: (s) => s % 16 < 5 || s >= 3000 }],
        [3, { state: "partial", data: rng.bytes(blockSize), present: () => true }],
        [4, { state: "zero" }],
        [6, { state: "unmapped" }],
        [9, { state: "partial", data: rng.bytes(blockSize), present: (s) => s % 2 === 0 }],
        [10, { state: "undefined" }],
        [11, { state: "partial", data: rng.bytes(blockSize), present: () => false }],
      ]);
      childFile = path.join(chainDir, "child.vhdx");
      childGuid = writeDifferencingVhdx(childFile, {
        virtualSize: 24 * MiB,
        blockSize,
        blocks,
        locator: {
          parent_linkage: `{${dataWriteGuid(parent)}}`,
          relative_path: "base\\parent.vhdx",
          absolute_win32_path: "C:\\Hyper-V\\base\\parent.vhdx",
        },
      });
      childWant = overlayChild(parentRaw, blockSize, blocks);
    });

    it("reads a child through its parent, found by its relative Windows path", async () => {
      await withReader(openVhdx(childFile), async (r) => {
        assert.equal(r.info.variant, "differencing");
        assert.deepEqual(
          r.info.chain.map((l) => path.basename(l.path)),
          ["child.vhdx", "parent.vhdx"],
        );
        await assertReads(r, childWant, "child");
        const extents = await assertAllocation(r, childWant, "child");
        // The parent's hole at [3 MiB, 5 MiB) shows through the child's absent block 1 at [2, 4).
        assert.ok(
          extents.some((e) => e.kind === "zero" && e.offset <= 3 * MiB && e.offset + e.length >= 4 * MiB),
        );
      });
    });

    it("reads a grandchild through a caller's parent opener", async () => {
      const blocks = new Map<number, ChildBlock>([
        [1, { state: "full", data: rng.bytes(MiB) }],
        [4, { state: "partial", data: rng.bytes(MiB), present: (s) => s < 100 }],
        [9, { state: "zero" }],
      ]);
      const file = path.join(chainDir, "grandchild.vhdx");
      writeDifferencingVhdx(file, {
        virtualSize: 24 * MiB,
        blockSize: MiB,
        blocks,
        locator: { parent_linkage: childGuid, relative_path: ".\\child.vhdx" },
      });
      const opened: string[] = [];
      const opener = (p: string) => {
        opened.push(path.basename(p));
        return openVhdx(p, opener);
      };
      await withReader(openVhdx(file, opener), async (r) => {
        assert.deepEqual(opened, ["child.vhdx", "parent.vhdx"]);
        assert.equal(r.info.chain.length, 3);
        const want = overlayChild(childWant, MiB, blocks);
        await assertReads(r, want, "grandchild");
        await assertAllocation(r, want, "grandchild");
      });
    });

    it("finds a parent recorded only by a Windows absolute path next to the child", async () => {
      const other = path.join(dir, "moved");
      mkdirSync(other, { recursive: true });
      copyFileSync(path.join(chainDir, "base", "parent.vhdx"), path.join(other, "parent.vhdx"));
      const file = path.join(other, "child.vhdx");
      writeDifferencingVhdx(file, {
        virtualSize: 24 * MiB,
        blockSize: MiB,
        blocks: new Map(),
        locator: {
          parent_linkage: dataWriteGuid(path.join(other, "parent.vhdx")),
          absolute_win32_path: "E:\\old\\parent.vhdx",
        },
      });
      await withReader(openVhdx(file), (r) => assertReads(r, parentRaw, "moved child"));
    });

    it("refuses a missing parent, a changed parent and a loop, naming the problem", async () => {
      const missing = path.join(chainDir, "orphan.vhdx");
      writeDifferencingVhdx(missing, {
        virtualSize: 24 * MiB,
        blockSize: MiB,
        blocks: new Map(),
        locator: { parent_linkage: childGuid, relative_path: "gone\\nowhere.vhdx" },
      });
      const e1 = await imageError(() => openVhdx(missing), "missing parent");
      assert.match(e1.message, /parent was not found.*gone\\nowhere\.vhdx/);

      const changed = path.join(chainDir, "changed.vhdx");
      writeDifferencingVhdx(changed, {
        virtualSize: 24 * MiB,
        blockSize: MiB,
        blocks: new Map(),
        locator: { parent_linkage: "{00000000-1111-2222-3333-444444444444}", relative_path: "child.vhdx" },
      });
      assert.match(
        (await imageError(() => openVhdx(changed), "changed")).message,
        /not the disk it was made from/,
      );

      const [a, b] = ["A0000000-0000-4000-8000-00000000000A", "B0000000-0000-4000-8000-00000000000B"];
      const spec = { virtualSize: 24 * MiB, blockSize: MiB, blocks: new Map<number, ChildBlock>() };
      writeDifferencingVhdx(path.join(chainDir, "loop-a.vhdx"), {
        ...spec,
        dataWriteGuid: a,
        locator: { parent_linkage: b, relative_path: "loop-b.vhdx" },
      });
      writeDifferencingVhdx(path.join(chainDir, "loop-b.vhdx"), {
        ...spec,
        dataWriteGuid: b,
        locator: { parent_linkage: a, relative_path: "loop-a.vhdx" },
      });
      const loop = await imageError(() => openVhdx(path.join(chainDir, "loop-a.vhdx")), "loop");
      assert.match(loop.message, /loops back to itself/);
    });
  });

  describe("damaged files", () => {
    it("refuses truncated files clearly", async () => {
      const headers = damaged("cut-headers");
      truncateSync(headers, 5000);
      assert.match(
        (await imageError(() => openVhdx(headers), "cut")).message,
        /truncated.*before its VHDX headers/,
      );
      const regions = damaged("cut-regions");
      truncateSync(regions, 100 * KiB);
      assert.match(
        (await imageError(() => openVhdx(regions), "cut")).message,
        /truncated.*before its region table/,
      );
      const data = damaged("cut-data");
      truncateSync(data, statSync(data).size - 512 * KiB);
      assert.match(
        (await imageError(() => openVhdx(data), "cut")).message,
        /block \d+ .*past the end of the file/,
      );
    });

    it("uses the other header when one is damaged, and refuses when both are", async () => {
      const one = damaged("one-header");
      patch(one, currentHeaderOffset(one) + 200, Buffer.from([0x5a]));
      await withReader(openVhdx(one), (r) => assertReads(r, qemuRaw(small, "vhdx"), "one header"));
      const both = damaged("both-headers");
      for (const offset of HEADER_OFFSETS) patch(both, offset + 200, Buffer.from([0x5a]));
      assert.match((await imageError(() => openVhdx(both), "both")).message, /both VHDX headers are damaged/);
    });

    it("refuses BAT entries and regions that point past the end of the file", async () => {
      const entry = damaged("bat-eof");
      const bat = region(entry, BAT_GUID);
      patch(entry, bat.offset + 8, Buffer.from("0600000000010000", "hex")); // block 1 at 1 TiB
      assert.match(
        (await imageError(() => openVhdx(entry), "bat")).message,
        /block 1 .*past the end of the file/,
      );
      const huge = damaged("bat-huge");
      patch(huge, bat.offset + 8, Buffer.from("06000000ffffffff", "hex"));
      assert.match((await imageError(() => openVhdx(huge), "bat")).message, /past the end of the file/);

      const table = damaged("region-eof");
      editRegionTables(table, (t) => {
        for (let i = 0; i < 2; i++) t.writeBigUInt64LE(1n << 40n, 32 + i * 32);
      });
      assert.match(
        (await imageError(() => openVhdx(table), "regions")).message,
        /region .*past the end of the file/,
      );
    });

    it("refuses absurd sizes and unknown states before allocating anything", async () => {
      const size63 = damaged("size-2-63");
      const sizeAt = metadataItem(size63, VIRTUAL_DISK_SIZE);
      patch(size63, sizeAt, Buffer.from("0000000000000080", "hex"));
      assert.match(
        (await imageError(() => openVhdx(size63), "2^63")).message,
        /9223372036854775808, larger than any real disk/,
      );
      const size65t = damaged("size-65t");
      patch(size65t, sizeAt, Buffer.from("0000000000410000", "hex"));
      assert.match(
        (await imageError(() => openVhdx(size65t), "65 TiB")).message,
        /above the VHDX maximum of 64 TiB/,
      );
      const tooBig = damaged("size-bat");
      patch(tooBig, sizeAt, Buffer.from("0000000000100000", "hex")); // 16 TiB: needs a bigger BAT
      assert.match(
        (await imageError(() => openVhdx(tooBig), "bat size")).message,
        /BAT region holds .* needs/,
      );

      const bat = region(small, BAT_GUID);
      const reserved = damaged("state-4");
      patch(reserved, bat.offset, Buffer.from([4]));
      assert.match((await imageError(() => openVhdx(reserved), "state 4")).message, /reserved state 4/);
      const partial = damaged("state-7");
      patch(partial, bat.offset, Buffer.from([7]));
      assert.match((await imageError(() => openVhdx(partial), "state 7")).message, /not a differencing disk/);

      const unknown = damaged("unknown-region");
      editRegionTables(unknown, (t) => {
        t.writeUInt32LE(3, 8);
        guidBytes("12345678-1234-4234-8234-123456789ABC").copy(t, 80);
        t.writeBigUInt64LE(BigInt(MiB), 96);
        t.writeUInt32LE(MiB, 104);
        t.writeUInt32LE(1, 108); // required
      });
      const newer = await imageError(() => openVhdx(unknown), "unknown region");
      assert.match(newer.message, /needs region 12345678-1234-4234-8234-123456789ABC/);
    });

    it("refuses a log that still has to be replayed, and accepts an empty one", async () => {
      const logGuid = guidBytes("0C0FFEE0-1234-4321-8888-ABCDEF012345");
      const empty = damaged("log-empty");
      setLogGuid(empty, logGuid);
      await withReader(openVhdx(empty), (r) => assertReads(r, qemuRaw(small, "vhdx"), "empty log"));
      const pending = damaged("log-pending");
      setLogGuid(pending, logGuid);
      writeLogEntry(pending, logGuid);
      const err = await imageError(() => openVhdx(pending), "log");
      assert.match(err.message, /log that were not applied/);
      assert.match(err.hint ?? "", /Hyper-V.*qemu-img check -r all/);
    });

    it("recognizes VHDX files by their signature", () => {
      assert.equal(looksLikeVhdx(readBytes(small, 0, 512)), true);
      assert.equal(looksLikeVhdx(readBytes(raw, 0, 512)), false);
      assert.equal(looksLikeVhdx(Buffer.from("vhdx")), false);
    });

    it("survives thousands of random header and table mutations with only clear errors", async () => {
      const file = damaged("fuzz");
      const meta = region(file, METADATA_GUID);
      const bat = region(file, BAT_GUID);
      const result = await fuzz({
        file,
        seed: "vhdx fuzz",
        iterations: 3000,
        targets: [
          { offset: 0, length: 8 },
          ...HEADER_OFFSETS.map((offset) => ({ offset, length: 80 })),
          ...REGION_TABLE_OFFSETS.map((offset) => ({ offset, length: 80 })),
          { offset: meta.offset, length: 32 + 6 * 32 },
          { offset: meta.offset + 64 * KiB, length: 128 },
          { offset: bat.offset, length: 256 },
        ],
        checksummed: [
          ...HEADER_OFFSETS.map((offset) => ({ offset, length: 4 * KiB, fix: fixCrc })),
          ...REGION_TABLE_OFFSETS.map((offset) => ({ offset, length: 64 * KiB, fix: fixCrc })),
        ],
        open: (f) => openVhdx(f),
      });
      assert.ok(result.opened > 100 && result.refused > 100, JSON.stringify(result));
    });
  });
});
