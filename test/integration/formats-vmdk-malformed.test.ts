/**
 * Damaged and unsupported VMDKs: each must fail fast with an ImageFormatError that names the file
 * and the problem, never hang, allocate without bound or throw anything else. (Fuzzing is in
 * formats-vmdk-fuzz.test.ts.)
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { ImageFormatError } from "../../main/formats/image-error.js";
import { openVmdk } from "../../main/formats/vmdk/index.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import {
  KiB,
  MiB,
  assertSameBytes,
  qemuImg,
  qemuIo,
  qemuRaw,
  readAll,
  writeVmwareStream,
} from "../support/vmdk-fixtures.js";

const SECTOR = 512;

async function assertRefused(file: string, pattern: RegExp): Promise<void> {
  await assert.rejects(openVmdk(file), (err: unknown) => {
    assert.ok(err instanceof ImageFormatError, `expected an ImageFormatError, got ${String(err)}`);
    assert.ok(err.message.startsWith(`${file}: `), `the message names the file: ${err.message}`);
    assert.match(err.message, pattern);
    return true;
  });
}

function descriptor(createType: string, extents: string, extra = ""): string {
  return `# Disk DescriptorFile\nversion=1\nCID=12345678\nparentCID=ffffffff\ncreateType="${createType}"\n${extra}\n# Extent description\n${extents}\n`;
}

describe("VMDK reader: damaged and unsupported disks", () => {
  const tmp = makeTempDir("formats-vmdk-bad");
  const sparse = path.join(tmp.dir, "good.vmdk");
  let good: Buffer;
  let goodRaw: Buffer;
  /** Sectors of the primary and redundant grain directories, from the header. */
  let gd = 0;
  let rgd = 0;
  let n = 0;

  /** Writes `good` changed by `edit` to a new file and returns its path. */
  function damaged(edit: (b: Buffer) => unknown): string {
    const copy = Buffer.from(good);
    const file = path.join(tmp.dir, `damaged-${n++}.vmdk`);
    const edited = edit(copy);
    writeFileSync(file, Buffer.isBuffer(edited) ? edited : copy);
    return file;
  }

  before(() => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    qemuImg("create", "-q", "-f", "vmdk", sparse, "4M");
    qemuIo(sparse, "write -P 0x41 0 64k", "write -P 0x42 1028k 8k", "write -P 0x43 3M 64k");
    good = readFileSync(sparse);
    goodRaw = readFileSync(qemuRaw(sparse));
    rgd = Number(good.readBigUInt64LE(48));
    gd = Number(good.readBigUInt64LE(56));
  });
  after(() => tmp.cleanup());

  it("refuses a truncated header", async () => {
    await assertRefused(
      damaged((b) => b.subarray(0, 100)),
      /the sparse header is truncated \(100 of 512 bytes\)/,
    );
  });

  it("refuses grain directories that lie past the end of the file", async () => {
    const file = damaged((b) => {
      b.writeBigUInt64LE(1_000_000n, 48);
      b.writeBigUInt64LE(2_000_000n, 56);
    });
    await assertRefused(
      file,
      /the grain directory \(sector 2000000, 1 entries\) lies past the end of the file/,
    );
    await assertRefused(
      damaged((b) => b.subarray(0, rgd * SECTOR + 2)),
      /the grain directory .* lies past the end of the file .*, and the redundant grain directory .* lies past the end/,
    );
  });

  it("refuses a grain directory entry that points past the end of the file", async () => {
    const file = damaged((b) => {
      b.writeUInt32LE(0x7fffffff, gd * SECTOR);
      b.writeUInt32LE(0x7fffffff, rgd * SECTOR);
    });
    await assertRefused(
      file,
      /grain directory entry 0 points to a grain table at sector 2147483647, past the end/,
    );
  });

  it("refuses absurd sizes at once, without allocating them", async () => {
    const start = performance.now();
    await assertRefused(
      damaged((b) => b.writeBigUInt64LE(2n ** 63n, 12)),
      /the capacity is 9223372036854775808, larger than any real disk/,
    );
    await assertRefused(
      damaged((b) => b.writeBigUInt64LE(2n ** 40n, 12)),
      /the grain directory would need 16777216 entries|lies past the end of the file/,
    );
    await assertRefused(
      damaged((b) => b.writeBigUInt64LE(3n, 20)),
      /grain size \(3 sectors\) is not a power of two/,
    );
    await assertRefused(
      damaged((b) => b.writeBigUInt64LE(2n ** 20n, 36)),
      /embedded descriptor claims/,
    );
    assert.ok(performance.now() - start < 2000, "refused quickly");
  });

  it("fails a read of a grain stored past the end of the file, and reads the rest", async () => {
    const file = damaged((b) => {
      for (const dir of [gd, rgd]) {
        const gt = b.readUInt32LE(dir * SECTOR);
        b.writeUInt32LE(0x00ffffff, gt * SECTOR + 16 * 4); // grain 16: bytes 1 MiB..1 MiB+64 KiB
      }
    });
    const reader = await openVmdk(file);
    try {
      const head = Buffer.alloc(MiB);
      await reader.read(0, head);
      assertSameBytes(head, goodRaw.subarray(0, MiB), "the grains before the damaged one");
      await assert.rejects(reader.read(MiB + 4 * KiB, Buffer.alloc(8 * KiB)), (err: unknown) => {
        assert.ok(err instanceof ImageFormatError);
        assert.match(
          err.message,
          /grain 16 \(disk offset 1048576\) at byte \d+ .* lies past the end of the file/,
        );
        return true;
      });
    } finally {
      await reader.close();
    }
  });

  it("falls back to the redundant grain directory when the primary is damaged", async () => {
    for (const edit of [
      (b: Buffer) => b.fill(0, gd * SECTOR, gd * SECTOR + SECTOR),
      (b: Buffer) => b.writeUInt32LE(0x7fffffff, gd * SECTOR),
    ]) {
      const reader = await openVmdk(damaged(edit));
      try {
        assertSameBytes(await readAll(reader), goodRaw, "read through the redundant directory");
      } finally {
        await reader.close();
      }
    }
  });

  it("refuses a stream-optimized disk whose footer was cut off, and a damaged compressed grain", async () => {
    const stream = path.join(tmp.dir, "stream.vmdk");
    writeVmwareStream(goodRaw, stream);
    const bytes = readFileSync(stream);
    const cut = path.join(tmp.dir, "stream-cut.vmdk");
    writeFileSync(cut, bytes.subarray(0, bytes.length - 3 * SECTOR));
    await assertRefused(
      cut,
      /stream-optimized disk whose grain directory is stored at its end, but the footer there is missing/,
    );

    const corrupt = path.join(tmp.dir, "stream-corrupt.vmdk");
    const overhead = Number(bytes.readBigUInt64LE(64)) * SECTOR;
    Buffer.from("garbage!").copy(bytes, overhead + 40);
    writeFileSync(corrupt, bytes);
    const reader = await openVmdk(corrupt);
    try {
      await assert.rejects(
        reader.read(0, Buffer.alloc(4 * KiB)),
        /compressed grain 0 \(disk offset 0\) cannot be decompressed/,
      );
    } finally {
      await reader.close();
    }
  });

  it("refuses a file copied in text mode", async () => {
    await assertRefused(
      damaged((b) => b.write("\n \n\n", 73, "latin1")),
      /line-ending check bytes were altered: the file was copied in text \(ASCII\) mode/,
    );
  });

  it("refuses seSparse, vSAN and raw device disks with what to do instead", async () => {
    const write = (name: string, text: string | Buffer): string => {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, text);
      return file;
    };
    const seSparseMessage =
      /seSparse \(ESXi 6\.5\+ snapshot delta\) is not supported yet; consolidate the snapshot or export the disk/;
    await assertRefused(
      write(
        "se.vmdk",
        descriptor("seSparse", 'RW 8192 SESPARSE "se-sesparse.vmdk"', 'parentFileNameHint="x.vmdk"'),
      ),
      seSparseMessage,
    );
    const seHead = Buffer.alloc(4096);
    seHead.writeBigUInt64LE(0xcafebaben, 0);
    await assertRefused(write("se-sesparse.vmdk", seHead), seSparseMessage);
    await assertRefused(
      write("vsan.vmdk", descriptor("vsanSparse", 'RW 8192 VSANSPARSE "v.vmdk"')),
      /vsanSparse \(vSAN snapshot delta\) is not supported/,
    );
    await assertRefused(
      write("rdm.vmdk", descriptor("vmfsRawDeviceMap", 'RW 8192 VMFSRDM "rdm-rdm.vmdk"')),
      /maps a physical disk or LUN, not a file/,
    );
    await assertRefused(
      write("delta-only.vmdk", Buffer.concat([Buffer.from("COWD"), Buffer.alloc(2044)])),
      /is the data file of an ESXi snapshot delta \(COWD\)/,
    );
  });

  it("refuses descriptors that cannot describe a readable disk", async () => {
    const write = (name: string, text: string): string => {
      const file = path.join(tmp.dir, name);
      writeFileSync(file, text);
      return file;
    };
    writeFileSync(path.join(tmp.dir, "short-flat.vmdk"), Buffer.alloc(MiB));
    await assertRefused(
      write("short.vmdk", descriptor("monolithicFlat", 'RW 4096 FLAT "short-flat.vmdk" 0')),
      /flat extent .*short-flat\.vmdk is 1048576 bytes, but the descriptor needs 2097152/,
    );
    await assertRefused(
      write("gone.vmdk", descriptor("monolithicFlat", 'RW 4096 FLAT "gone-flat.vmdk" 0')),
      /extent 1 \("gone-flat\.vmdk"\) cannot be used: .*gone-flat\.vmdk: does not exist/,
    );
    await assertRefused(
      write("noaccess.vmdk", descriptor("monolithicFlat", 'NOACCESS 2048 FLAT "short-flat.vmdk" 0')),
      /extent 1 is marked NOACCESS/,
    );
    await assertRefused(
      write("odd.vmdk", descriptor("floppyImage", 'RW 2048 FLAT "short-flat.vmdk" 0')),
      /createType "floppyImage" is not a VMDK disk type this version can read/,
    );
    await assertRefused(
      write("huge.vmdk", descriptor("monolithicFlat", 'RW 99999999999999999999 FLAT "short-flat.vmdk" 0')),
      /extent size or offset beyond any real disk/,
    );
    await assertRefused(write("none.vmdk", descriptor("monolithicFlat", "")), /lists no extents/);
    await assertRefused(
      write("notype.vmdk", '# Disk DescriptorFile\nversion=1\nRW 2048 FLAT "short-flat.vmdk" 0\n'),
      /has no createType/,
    );
    await assertRefused(
      write(
        "badcid.vmdk",
        descriptor("monolithicFlat", 'RW 2048 FLAT "short-flat.vmdk" 0').replace("12345678", "xyz"),
      ),
      /CID "xyz" is not a hexadecimal content id/,
    );
    const start = performance.now();
    await assertRefused(
      write("blank.vmdk", `# Disk DescriptorFile\n${"\n".repeat(3_000_000)}`),
      /has no createType/,
    );
    assert.ok(performance.now() - start < 2000, "a descriptor of blank lines is refused quickly");
    await assertRefused(
      write("random.vmdk", new SeededBytes("not a vmdk").bytes(4096).toString("latin1")),
      /is not a VMDK: it has neither a sparse extent header nor a text descriptor/,
    );
  });
});
