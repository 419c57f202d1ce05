/**
 * The VHD reader against qemu-img: fixed and dynamic images holding an ext4 file system read byte
 * for byte as qemu reads them; differencing chains (which qemu cannot write, so the test writes
 * them from the spec) read as their parents overlaid with the child's sectors; damaged files fail
 * with a clear ImageFormatError.
 */
import assert from "node:assert/strict";
import { copyFileSync, mkdirSync, readFileSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { looksLikeVhd, openVhd } from "../../main/formats/vhd/index.js";
import {
  editDynamicHeader,
  editFooters,
  fixVhdChecksum,
  overlayVhd,
  writeVhd,
  type VhdBlock,
} from "../support/vhd-builder.js";
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
  qemuIo,
  qemuRaw,
  readBytes,
  withReader,
} from "../support/vhd-fixtures.js";

/** Not a multiple of the 2 MiB block, nor of a CHS geometry. */
const DISK = 160 * MiB + 1536;
const FOOTER = 512;

describe("VHD reader", { timeout: 120_000 }, () => {
  let dir = "";
  let cleanup = () => {};
  let raw = "";
  /** A small qemu-made dynamic image of exactly 24 MiB with data in a few blocks. */
  let small = "";
  const rng = new SeededBytes("vhd reader");

  before(() => {
    ({ dir, raw, small, cleanup } = makeImageFixture({
      ext: "vhd",
      format: "vpc",
      createOptions: "subformat=dynamic,force_size=on",
      diskBytes: DISK,
      seed: "vhd reader",
    }));
  });
  after(() => cleanup());

  function copyOf(source: string, name: string): string {
    const file = path.join(dir, name);
    copyFileSync(source, file);
    return file;
  }

  for (const [subformat, options] of [
    ["dynamic", ""],
    ["dynamic", "force_size=on"],
    ["fixed", ""],
  ] as const) {
    it(`reads a ${subformat} VHD${options ? ` (${options})` : ""} like qemu-img`, async () => {
      const file = path.join(dir, `${subformat}${options ? "-exact" : ""}.vhd`);
      qemuImg(
        "convert",
        "-f",
        "raw",
        "-O",
        "vpc",
        "-o",
        `subformat=${subformat}${options ? `,${options}` : ""}`,
        raw,
        file,
      );
      const want = qemuRaw(file, "vpc");
      // Without force_size qemu rounds the size up to a CHS geometry; the extra bytes are zeros.
      assert.ok(want.subarray(0, DISK).equals(readFileSync(raw)), "qemu reads back the ext4 image");
      assert.equal(want.length === DISK, options !== "");
      await withReader(openVhd(file), async (r) => {
        assert.equal(r.info.format, "vhd");
        assert.equal(r.info.variant, subformat);
        await assertReads(r, want, path.basename(file));
        const extents = await assertAllocation(r, want, path.basename(file));
        if (subformat === "dynamic")
          assert.ok(bytesOfKind(extents, "zero") >= 32 * MiB, "free space is holes");
      });
    });
  }

  it("reads a dynamic VHD with 512 KiB blocks, written from the spec, like qemu-img", async () => {
    const file = path.join(dir, "blocks-512k.vhd");
    const blockSize = 512 * KiB;
    writeVhd(file, {
      type: "dynamic",
      virtualSize: 9 * MiB + 4096,
      blockSize,
      blocks: new Map([0, 3, 4, 18].map((i) => [i, { data: rng.bytes(blockSize) }])),
    });
    const want = qemuRaw(file, "vpc");
    await withReader(openVhd(file), async (r) => {
      await assertReads(r, want, "512k blocks");
      const extents = await assertAllocation(r, want, "512k blocks");
      // The last block holds only the disk's final 4 KiB.
      assert.deepEqual(
        extents.map((e) => [e.offset, e.length, e.kind]),
        [
          [0, blockSize, "data"],
          [blockSize, 2 * blockSize, "zero"],
          [3 * blockSize, 2 * blockSize, "data"],
          [5 * blockSize, 13 * blockSize, "zero"],
          [18 * blockSize, 4096, "data"],
        ],
      );
    });
  });

  it("takes the size from 'current size' where qemu takes Virtual PC's geometry", async () => {
    // qemu sizes images made by Virtual PC ("vpc ") by their CHS geometry; the spec and Hyper-V
    // use the current size. Our extra bytes are beyond what qemu shows; the rest agrees.
    const file = copyOf(small, "virtual-pc.vhd");
    editFooters(file, (f) => {
      f.write("vpc ", 28, "latin1");
      f.writeUInt16BE(600, 56);
      f.writeUInt8(4, 58);
      f.writeUInt8(17, 59);
    });
    const qemu = qemuRaw(file, "vpc");
    assert.equal(qemu.length, 600 * 4 * 17 * 512);
    await withReader(openVhd(file), async (r) => {
      assert.equal(r.virtualSize, 24 * MiB);
      const ours = Buffer.alloc(qemu.length);
      await r.read(0, ours);
      assert.ok(ours.equals(qemu));
    });
  });

  describe("differencing disks", () => {
    let parentWant: Buffer = Buffer.alloc(0);
    let parentId: Buffer = Buffer.alloc(0);
    let chainDir = "";

    before(() => {
      chainDir = path.join(dir, "chain");
      mkdirSync(path.join(chainDir, "base"), { recursive: true });
      const parent = copyOf(small, path.join("chain", "base", "parent.vhd"));
      parentWant = qemuRaw(parent, "vpc");
      parentId = readBytes(parent, statSync(parent).size - FOOTER + 68, 16);
    });

    it("reads a child through its parent, found by its relative Windows path", async () => {
      const blockSize = MiB;
      const blocks = new Map<number, VhdBlock>([
        [0, { data: rng.bytes(blockSize) }],
        [3, { data: rng.bytes(blockSize), present: (s) => s % 16 < 5 || s >= 1500 }],
        [5, { data: rng.bytes(blockSize), present: () => false }],
        [21, { data: rng.bytes(blockSize), present: (s) => s % 2 === 1 }],
      ]);
      const child = path.join(chainDir, "child.vhd");
      const childId = writeVhd(child, {
        type: "differencing",
        virtualSize: 24 * MiB,
        blockSize,
        blocks,
        parent: {
          uniqueId: parentId,
          name: "parent.vhd",
          locators: [
            { code: "W2ku", path: "C:\\VMs\\base\\parent.vhd" },
            { code: "W2ru", path: ".\\base\\parent.vhd" },
          ],
        },
      });
      const want = overlayVhd(parentWant, blockSize, blocks);
      await withReader(openVhd(child), async (r) => {
        assert.equal(r.info.variant, "differencing");
        assert.deepEqual(
          r.info.chain.map((l) => path.basename(l.path)),
          ["child.vhd", "parent.vhd"],
        );
        await assertReads(r, want, "child");
        const extents = await assertAllocation(r, want, "child");
        // Neither the child nor the parent holds [8 MiB, 20 MiB): the parent's hole shows through.
        assert.ok(
          extents.some((e) => e.kind === "zero" && e.offset <= 8 * MiB && e.offset + e.length >= 20 * MiB),
        );
      });

      const grandchild = path.join(chainDir, "grandchild.vhd");
      const more = new Map<number, VhdBlock>([[1, { data: rng.bytes(2 * MiB), present: (s) => s < 7 }]]);
      writeVhd(grandchild, {
        type: "differencing",
        virtualSize: 24 * MiB,
        blockSize: 2 * MiB,
        blocks: more,
        parent: { uniqueId: childId, name: "child.vhd", locators: [{ code: "MacX", path: child }] },
      });
      await withReader(openVhd(grandchild), async (r) => {
        assert.equal(r.info.chain.length, 3);
        const deeper = overlayVhd(want, 2 * MiB, more);
        await assertReads(r, deeper, "grandchild");
        await assertAllocation(r, deeper, "grandchild");
      });
    });

    it("falls back to the parent's file name next to the child", async () => {
      const file = path.join(chainDir, "base", "by-name.vhd");
      writeVhd(file, {
        type: "differencing",
        virtualSize: 24 * MiB,
        blockSize: 2 * MiB,
        blocks: new Map(),
        parent: {
          uniqueId: parentId,
          name: "parent.vhd",
          locators: [{ code: "W2ku", path: "D:\\gone\\parent.vhd" }],
        },
      });
      await withReader(openVhd(file), (r) => assertReads(r, parentWant, "by name"));
    });

    it("refuses a missing parent, a different parent and a loop", async () => {
      const spec = {
        type: "differencing",
        virtualSize: 24 * MiB,
        blockSize: 2 * MiB,
        blocks: new Map(),
      } as const;
      const missing = path.join(chainDir, "orphan.vhd");
      writeVhd(missing, { ...spec, parent: { uniqueId: parentId, name: "nowhere.vhd", locators: [] } });
      assert.match((await imageError(() => openVhd(missing), "missing")).message, /parent was not found/);

      const wrong = path.join(chainDir, "wrong.vhd");
      const otherId = Buffer.alloc(16, 7);
      writeVhd(wrong, {
        ...spec,
        parent: {
          uniqueId: otherId,
          name: "parent.vhd",
          locators: [{ code: "W2ru", path: "base\\parent.vhd" }],
        },
      });
      assert.match(
        (await imageError(() => openVhd(wrong), "wrong")).message,
        /not the disk it was made from/,
      );

      const self = path.join(chainDir, "self.vhd");
      const selfId = Buffer.alloc(16, 9);
      writeVhd(self, {
        ...spec,
        uniqueId: selfId,
        parent: { uniqueId: selfId, name: "self.vhd", locators: [] },
      });
      assert.match((await imageError(() => openVhd(self), "loop")).message, /loops back to itself/);
    });
  });

  describe("damaged files", () => {
    it("refuses files that are too short, not VHDs, or have both footers damaged", async () => {
      const short = copyOf(small, "short.vhd");
      truncateSync(short, 300);
      assert.match((await imageError(() => openVhd(short), "short")).message, /too short to be a VHD/);
      assert.match((await imageError(() => openVhd(raw), "raw")).message, /is not a VHD file/);
      const both = copyOf(small, "both-footers.vhd");
      for (const at of [0, statSync(both).size - FOOTER]) patch(both, at + 50, Buffer.from([0x5a]));
      assert.match((await imageError(() => openVhd(both), "both")).message, /damaged VHD footer/);
    });

    it("reads a dynamic VHD whose end was cut off through its footer copy, refusing the lost blocks", async () => {
      const tail = copyOf(small, "tail-footer.vhd");
      patch(tail, statSync(tail).size - FOOTER + 50, Buffer.from([0x5a]));
      await withReader(openVhd(tail), (r) => assertReads(r, qemuRaw(small, "vpc"), "footer copy"));
      const cut = copyOf(small, "cut.vhd");
      truncateSync(cut, statSync(cut).size - 600 * KiB);
      assert.match(
        (await imageError(() => openVhd(cut), "cut")).message,
        /block \d+ .*past the end of the file/,
      );
      // A fixed VHD has no footer copy: one that lost its end is not recognizable. One whose footer
      // claims more data than the file holds is refused.
      const fixed = path.join(dir, "short-fixed.vhd");
      qemuImg("create", "-f", "vpc", "-o", "subformat=fixed", fixed, "4M");
      const footerAt = statSync(fixed).size - FOOTER;
      const footer = readBytes(fixed, footerAt, FOOTER);
      footer.writeBigUInt64BE(BigInt(8 * MiB), 48);
      fixVhdChecksum(footer, 64);
      patch(fixed, footerAt, footer);
      assert.match(
        (await imageError(() => openVhd(fixed), "fixed")).message,
        /fixed VHD of 8388608 bytes.* only/,
      );
    });

    it("refuses BAT entries past the end, absurd sizes and broken dynamic headers", async () => {
      const entry = copyOf(small, "bat-eof.vhd");
      patch(entry, 1536, Buffer.from("7fffff00", "hex"));
      assert.match(
        (await imageError(() => openVhd(entry), "bat")).message,
        /block 0 .*past the end of the file/,
      );
      const size = copyOf(small, "size-2-63.vhd");
      editFooters(size, (f) => f.writeBigUInt64BE(1n << 63n, 48));
      assert.match(
        (await imageError(() => openVhd(size), "2^63")).message,
        /9223372036854775808, larger than any real disk/,
      );
      const big = copyOf(small, "size-1p.vhd");
      editFooters(big, (f) => f.writeBigUInt64BE(1n << 50n, 48));
      assert.match((await imageError(() => openVhd(big), "1 PiB")).message, /beyond the VHD limit/);
      const few = copyOf(small, "few-entries.vhd");
      editDynamicHeader(few, (h) => h.writeUInt32BE(1, 28));
      assert.match((await imageError(() => openVhd(few), "entries")).message, /BAT has 1 entries/);
      const far = copyOf(small, "bat-far.vhd");
      editDynamicHeader(far, (h) => h.writeBigUInt64BE(1n << 40n, 16));
      assert.match(
        (await imageError(() => openVhd(far), "bat offset")).message,
        /VHD BAT .*past the end of the file/,
      );
      const odd = copyOf(small, "block-size.vhd");
      editDynamicHeader(odd, (h) => h.writeUInt32BE(1000, 32));
      assert.match(
        (await imageError(() => openVhd(odd), "block size")).message,
        /invalid VHD block size 1000/,
      );
      const header = copyOf(small, "header.vhd");
      patch(header, 512 + 40, Buffer.from([0x5a]));
      assert.match(
        (await imageError(() => openVhd(header), "header")).message,
        /dynamic header \(bad checksum\)/,
      );
    });

    it("recognizes VHD files by the cookie at their start or end", () => {
      const size = statSync(small).size;
      assert.equal(looksLikeVhd(readBytes(small, 0, 512), readBytes(small, size - 4096, 4096)), true);
      const fixed = path.join(dir, "probe-fixed.vhd");
      qemuImg("create", "-f", "vpc", "-o", "subformat=fixed", fixed, "4M");
      const fixedSize = statSync(fixed).size;
      assert.equal(looksLikeVhd(readBytes(fixed, 0, 512), readBytes(fixed, fixedSize - 512, 512)), true);
      assert.equal(looksLikeVhd(readBytes(raw, 0, 512), readBytes(raw, DISK - 512, 512)), false);
    });

    it("survives thousands of random footer, header and BAT mutations with only clear errors", async () => {
      const file = copyOf(small, "fuzz.vhd");
      const end = statSync(file).size - FOOTER;
      const fixed = path.join(dir, "fuzz-fixed.vhd");
      qemuImg("create", "-f", "vpc", "-o", "subformat=fixed", fixed, "3M");
      qemuIo("vpc", fixed, "write -P 0x44 1M 1M");
      const fixedEnd = statSync(fixed).size - FOOTER;
      const footerFix = (b: Buffer) => fixVhdChecksum(b, 64);
      const dynamic = await fuzz({
        file,
        seed: "vhd fuzz",
        iterations: 2500,
        targets: [
          { offset: 0, length: 100 },
          { offset: end, length: 100 },
          { offset: 512, length: 40 },
          { offset: 512 + 576, length: 48 },
          { offset: 1536, length: 64 },
        ],
        checksummed: [
          { offset: 0, length: FOOTER, fix: footerFix },
          { offset: end, length: FOOTER, fix: footerFix },
          { offset: 512, length: 1024, fix: (b) => fixVhdChecksum(b, 36) },
        ],
        open: (f) => openVhd(f),
      });
      const fixedResult = await fuzz({
        file: fixed,
        seed: "vhd fuzz fixed",
        iterations: 500,
        targets: [{ offset: fixedEnd, length: 100 }],
        checksummed: [{ offset: fixedEnd, length: FOOTER, fix: footerFix }],
        open: (f) => openVhd(f),
      });
      for (const result of [dynamic, fixedResult]) {
        assert.ok(result.opened > 50 && result.refused > 50, JSON.stringify(result));
      }
    });
  });
});
