/**
 * VMDK snapshot chains, built the way VMware builds them (hosted monolithicSparse deltas, ESXi
 * vmfsSparse deltas), read against qemu-img; and the broken chains a backup must refuse.
 */
import assert from "node:assert/strict";
import { cpSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { ImageFormatError } from "../../main/formats/image-error.js";
import { openVmdk } from "../../main/formats/vmdk/index.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import {
  KiB,
  MiB,
  assertMatchesQemu,
  assertSameBytes,
  collect,
  makeVmfsDescriptor,
  qemuImg,
  qemuIo,
  qemuRaw,
  readAll,
  rewriteEmbeddedDescriptor,
  writeCowdDelta,
} from "../support/vmdk-fixtures.js";

const DISK_SIZE = 10 * MiB + 12 * KiB;

function cidOf(file: string): string {
  const cid = /^CID=([0-9a-f]+)/m.exec(readFileSync(file, "latin1"))?.[1];
  assert.ok(cid, `${file} has a CID`);
  return cid;
}

/** base ← mid ← top, each layer written with different data (qemu-io), in `dir`. */
function makeChain(dir: string, raw: string): { base: string; mid: string; top: string } {
  mkdirSync(dir, { recursive: true });
  const base = path.join(dir, "base.vmdk");
  const mid = path.join(dir, "base-000001.vmdk");
  const top = path.join(dir, "base-000002.vmdk");
  qemuImg("convert", "-f", "raw", "-O", "vmdk", raw, base);
  // Writing to a disk changes its CID, so each layer is written before its child is created.
  qemuIo(base, "write -P 0x11 6M 64k");
  qemuImg("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", mid);
  qemuIo(mid, "write -P 0x22 1000k 300k", "write -P 0x23 6M 4k");
  qemuImg("create", "-q", "-f", "vmdk", "-b", "base-000001.vmdk", "-F", "vmdk", top);
  qemuIo(top, "write -P 0x33 4M 64k", "write -P 0x34 10M 12k", "write -P 0x35 1100k 1k");
  return { base, mid, top };
}

async function assertRefused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openVmdk(file), (err: unknown) => {
    assert.ok(err instanceof ImageFormatError, `expected an ImageFormatError, got ${String(err)}`);
    assert.match(err.message, pattern);
    return true;
  });
}

describe("VMDK reader: snapshot chains", () => {
  const tmp = makeTempDir("formats-vmdk-chain");
  const raw = path.join(tmp.dir, "disk.raw");

  before(() => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    makeExt4Image(raw, { sizeBytes: DISK_SIZE, seed: "vmdk chain", textBytes: MiB, randomBytes: MiB });
  });
  after(() => tmp.cleanup());

  it("reads a three-deep chain of monolithicSparse deltas byte for byte", async () => {
    const { base, mid, top } = makeChain(path.join(tmp.dir, "chain"), raw);
    const reader = await openVmdk(top);
    try {
      assert.deepEqual(
        reader.info.chain.map((l) => [l.path, l.variant, l.virtualSize]),
        [top, mid, base].map((p) => [p, "monolithicSparse", DISK_SIZE]),
      );
      const [t, m, b] = reader.descriptors;
      assert.equal(t?.parentCid, m?.cid, "qemu wrote the mid layer's CID as the top's parentCID");
      assert.equal(m?.parentCid, b?.cid);
      assert.equal(t?.parentFileNameHint, "base-000001.vmdk");
      assert.equal(b?.parentCid, undefined);
      await assertMatchesQemu(reader, top);
      const probe = async (offset: number): Promise<number | undefined> => {
        const buf = Buffer.alloc(1);
        await reader.read(offset, buf);
        return buf[0];
      };
      assert.equal(await probe(4 * MiB), 0x33, "top layer");
      assert.equal(await probe(1100 * KiB + 10), 0x35, "top layer, inside a grain the mid layer also wrote");
      assert.equal(await probe(1000 * KiB), 0x22, "mid layer");
      assert.equal(await probe(6 * MiB + 8 * KiB), 0x11, "base layer, under a partly written mid grain");
      assert.equal(await probe(6 * MiB), 0x23, "mid layer");
    } finally {
      await reader.close();
    }
  });

  it("reads zeroed grains of a delta as zeros over its parent's data", async () => {
    const dir = path.join(tmp.dir, "zeroed");
    mkdirSync(dir);
    const base = path.join(dir, "base.vmdk");
    const top = path.join(dir, "top.vmdk");
    qemuImg("convert", "-f", "raw", "-O", "vmdk", raw, base);
    qemuImg("create", "-q", "-f", "vmdk", "-o", "zeroed_grain=on", "-b", "base.vmdk", "-F", "vmdk", top);
    qemuIo(top, "write -z 0 256k", "write -P 0x66 256k 64k");
    const reader = await openVmdk(top);
    try {
      const extents = await assertMatchesQemu(reader, top);
      assert.deepEqual(extents[0], { offset: 0, length: 256 * KiB, kind: "zero" });
      assert.equal(extents[1]?.kind, "data");
    } finally {
      await reader.close();
    }
  });

  it("reads a delta larger than its parent: past the parent's end the disk is zeros", async () => {
    const dir = path.join(tmp.dir, "grown");
    mkdirSync(dir);
    const base = path.join(dir, "base.vmdk");
    const top = path.join(dir, "top.vmdk");
    qemuImg("convert", "-f", "raw", "-O", "vmdk", raw, base);
    qemuImg("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", top, "12M");
    qemuIo(top, "write -P 0x77 11M 4k");
    const reader = await openVmdk(top);
    try {
      assert.equal(reader.virtualSize, 12 * MiB);
      const extents = await assertMatchesQemu(reader, top);
      assert.ok(
        extents.some((e) => e.kind === "zero" && e.offset <= DISK_SIZE && e.offset + e.length > DISK_SIZE),
      );
    } finally {
      await reader.close();
    }
  });

  it("reads ESXi vmfsSparse (COWD) deltas over a vmfs flat disk", async () => {
    const dir = path.join(tmp.dir, "esxi");
    mkdirSync(dir);
    const base = path.join(dir, "vm.vmdk");
    qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=monolithicFlat", raw, base);
    makeVmfsDescriptor(base, "vmfs");
    writeCowdDelta(dir, "vm-000001", DISK_SIZE, { hint: "vm.vmdk", cid: cidOf(base) }, [
      { offset: 0, data: Buffer.alloc(4 * KiB, 0xaa) },
      { offset: 5 * MiB + 512, data: Buffer.alloc(1536, 0xbb) },
    ]);
    const top = writeCowdDelta(dir, "vm-000002", DISK_SIZE, { hint: "vm-000001.vmdk", cid: "c0dec0de" }, [
      { offset: 2 * KiB, data: Buffer.alloc(4 * KiB, 0xcc) },
      { offset: DISK_SIZE - 512, data: Buffer.alloc(512, 0xdd) },
    ]);
    const reader = await openVmdk(top);
    try {
      assert.deepEqual(
        reader.info.chain.map((l) => l.variant),
        ["vmfsSparse", "vmfsSparse", "vmfs"],
      );
      await assertMatchesQemu(reader, top);
    } finally {
      await reader.close();
    }
  });

  it("finds a parent by an absolute hint, or next to the delta when the hint names another machine's path", async () => {
    const dir = path.join(tmp.dir, "hints");
    const { base, mid, top } = makeChain(dir, raw);
    // qemu cannot follow a Windows hint: its reading of the chain is taken before the edit.
    const want = readFileSync(qemuRaw(top));
    rewriteEmbeddedDescriptor(top, (t) =>
      t.replace(/parentFileNameHint=".*"/, `parentFileNameHint="${mid}"`),
    );
    rewriteEmbeddedDescriptor(mid, (t) =>
      t.replace(/parentFileNameHint=".*"/, 'parentFileNameHint="C:\\VMs\\old\\base.vmdk"'),
    );
    const reader = await openVmdk(top);
    try {
      assert.deepEqual(
        reader.info.chain.map((l) => l.path),
        [top, mid, base],
      );
      assertSameBytes(await readAll(reader), want, "the chain found through edited hints");
    } finally {
      await reader.close();
    }
  });

  it("refuses a delta whose parent is missing, naming the delta and the parent", async () => {
    const dir = path.join(tmp.dir, "missing");
    const { top } = makeChain(dir, raw);
    cpSync(top, path.join(tmp.dir, "orphan.vmdk"));
    await assertRefused(
      path.join(tmp.dir, "orphan.vmdk"),
      /orphan\.vmdk: its parent disk "base-000001\.vmdk" is missing/,
    );
  });

  it("refuses a delta whose parent was written to after the snapshot (CID mismatch)", async () => {
    const dir = path.join(tmp.dir, "cid");
    const { base, top } = makeChain(dir, raw);
    qemuIo(base, "write -P 0x99 0 4k");
    await assertRefused(
      top,
      /base-000001\.vmdk: expects its parent .*base\.vmdk to have content id \(CID\) [0-9a-f]{8}, but it has [0-9a-f]{8}/,
    );
  });

  it("refuses parent chains that loop", async () => {
    const dir = path.join(tmp.dir, "loops");
    const { mid, top } = makeChain(dir, raw);
    rewriteEmbeddedDescriptor(top, (t) =>
      t.replace(/parentFileNameHint=".*"/, 'parentFileNameHint="base-000002.vmdk"'),
    );
    await assertRefused(top, /base-000002\.vmdk: its parent chain loops/);
    // Two deltas naming each other, with CIDs that agree, so only the loop check can stop it.
    rewriteEmbeddedDescriptor(top, (t) =>
      t.replace(/parentFileNameHint=".*"/, 'parentFileNameHint="base-000001.vmdk"'),
    );
    rewriteEmbeddedDescriptor(mid, (t) =>
      t
        .replace(/parentFileNameHint=".*"/, 'parentFileNameHint="base-000002.vmdk"')
        .replace(/parentCID=.*/, `parentCID=${cidOf(top)}`),
    );
    await assertRefused(top, /base-000001\.vmdk: its parent chain loops/);
  });

  it("reads a chain of 32 deltas and refuses one of 33", async () => {
    const dir = path.join(tmp.dir, "deep");
    mkdirSync(dir);
    const size = MiB;
    writeFileSync(path.join(dir, "d0-flat.vmdk"), Buffer.alloc(size, 1));
    writeFileSync(
      path.join(dir, "d0.vmdk"),
      `# Disk DescriptorFile\nversion=1\nCID=c0dec0de\nparentCID=ffffffff\ncreateType="vmfs"\nRW 2048 VMFS "d0-flat.vmdk"\n`,
    );
    let top = "";
    for (let i = 1; i <= 33; i++) {
      const data = Buffer.alloc(512, i + 1);
      top = writeCowdDelta(dir, `d${i}`, size, { hint: `d${i - 1}.vmdk`, cid: "c0dec0de" }, [
        { offset: i * 512, data },
      ]);
      if (i === 32) {
        const reader = await openVmdk(top);
        assert.equal(reader.info.chain.length, 33);
        const got = Buffer.alloc(34 * 512);
        await reader.read(0, got);
        assert.equal(got[0], 1);
        assert.equal(got[32 * 512], 33);
        assert.equal(got[33 * 512], 1);
        assert.equal((await collect(reader)).length, 1);
        await reader.close();
      }
    }
    await assertRefused(top, /the snapshot chain is deeper than 32 deltas/);
  });

  it("refuses a delta that does not name its parent", async () => {
    const dir = path.join(tmp.dir, "nameless");
    const { top } = makeChain(dir, raw);
    rewriteEmbeddedDescriptor(top, (t) => t.replace(/parentFileNameHint=".*"\n/, ""));
    await assertRefused(
      top,
      /is a snapshot delta \(parentCID [0-9a-f]{8}\) but does not name its parent disk/,
    );
  });
});
