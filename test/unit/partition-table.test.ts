/** MBR and GPT parsing on hand-built Buffers: good tables, damaged ones, and garbage. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { crc32 } from "node:zlib";
import { SnapferryError } from "../../main/common/errors.js";
import { guid, readPartitionTable, type PartitionTable } from "../../main/flr/partition-table.js";

const MiB = 1024 * 1024;
const EFI = "C12A7328-F81F-11D2-BA4B-00A0C93EC93B";
const LINUX = "0FC63DAF-8483-4772-8E79-3D69D8477DE4";

interface MbrSlot {
  status?: number;
  type: number;
  first: number;
  sectors: number;
}

function writeMbr(disk: Buffer, at: number, slots: MbrSlot[]): void {
  slots.forEach((s, i) => {
    const o = at + 446 + i * 16;
    disk.writeUInt8(s.status ?? 0, o);
    disk.writeUInt8(s.type, o + 4);
    disk.writeUInt32LE(s.first, o + 8);
    disk.writeUInt32LE(s.sectors, o + 12);
  });
  disk.writeUInt16LE(0xaa55, at + 510);
}

function guidBytes(text: string): Buffer {
  const hex = text.replaceAll("-", "");
  const b = Buffer.from(hex, "hex");
  b.subarray(0, 4).reverse();
  b.subarray(4, 6).reverse();
  b.subarray(6, 8).reverse();
  return b;
}

interface GptPart {
  type: string;
  first: number;
  last: number;
  name?: string;
}

/**
 * A GPT disk: protective MBR, primary header + array at LBA 1-33, backup array + header at the
 * end, with `sector`-byte LBAs (512, or 4096 as on a 4Kn disk).
 */
function gptDisk(size: number, parts: GptPart[], count = 128, sector = 512): Buffer {
  const disk = Buffer.alloc(size);
  const lastLba = size / sector - 1;
  writeMbr(disk, 0, [{ type: 0xee, first: 1, sectors: Math.min(lastLba, 0xffffffff) }]);
  const array = Buffer.alloc(count * 128);
  parts.forEach((p, i) => {
    const e = array.subarray(i * 128);
    guidBytes(p.type).copy(e, 0);
    guidBytes("11111111-2222-3333-4444-55555555555" + i).copy(e, 16);
    e.writeBigUInt64LE(BigInt(p.first), 32);
    e.writeBigUInt64LE(BigInt(p.last), 40);
    if (p.name) e.write(p.name, 56, "utf16le");
  });
  const arraySectors = Math.ceil(array.length / sector);
  const header = (lba: number, alternate: number, arrayLba: number): Buffer => {
    const h = Buffer.alloc(sector);
    h.write("EFI PART", 0, "latin1");
    h.writeUInt32LE(0x10000, 8);
    h.writeUInt32LE(92, 12);
    h.writeBigUInt64LE(BigInt(lba), 24);
    h.writeBigUInt64LE(BigInt(alternate), 32);
    h.writeBigUInt64LE(BigInt(2 + arraySectors), 40);
    h.writeBigUInt64LE(BigInt(lastLba - 1 - arraySectors), 48);
    h.writeBigUInt64LE(BigInt(arrayLba), 72);
    h.writeUInt32LE(count, 80);
    h.writeUInt32LE(128, 84);
    h.writeUInt32LE(crc32(array), 88);
    h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    return h;
  };
  header(1, lastLba, 2).copy(disk, sector);
  array.copy(disk, 2 * sector);
  array.copy(disk, (lastLba - arraySectors) * sector);
  header(lastLba, 1, lastLba - arraySectors).copy(disk, lastLba * sector);
  return disk;
}

function flip(b: Buffer, at: number): void {
  b.writeUInt8(b.readUInt8(at) ^ 0xff, at);
}

function parse(disk: Buffer): Promise<PartitionTable> {
  return readPartitionTable(
    (offset, length) => {
      assert.ok(offset >= 0 && offset + length <= disk.length, `read ${offset}+${length} inside the disk`);
      return Promise.resolve(Buffer.from(disk.subarray(offset, offset + length)));
    },
    disk.length,
    "test disk",
  );
}

function summary(t: PartitionTable): [number, number, number, string][] {
  return t.partitions.map((p) => [p.number, p.start / 512, p.size / 512, p.type]);
}

async function rejectsWith(disk: Buffer, code: string, pattern: RegExp): Promise<void> {
  await assert.rejects(parse(disk), (err: unknown) => {
    assert.ok(err instanceof SnapferryError, String(err));
    assert.equal(err.code, code, err.message);
    assert.match(err.message, pattern);
    assert.match(err.message, /^test disk: /);
    return true;
  });
}

describe("partition tables", () => {
  it("treats a disk without a partition table as one whole-disk partition", async () => {
    const t = await parse(Buffer.alloc(MiB));
    assert.equal(t.scheme, "none");
    assert.deepEqual(summary(t), [[1, 0, 2048, "whole disk"]]);
  });

  it("does not mistake a FAT or NTFS boot sector for an MBR", async () => {
    const disk = Buffer.alloc(MiB);
    disk.set([0xeb, 0x58, 0x90], 0);
    disk.write("mkfs.fat", 3, "latin1");
    disk.write("FAT32   ", 82, "latin1");
    disk.fill(0x41, 446, 510); // boot code where an MBR keeps its entries
    disk.writeUInt16LE(0xaa55, 510);
    assert.equal((await parse(disk)).scheme, "none");
    disk.write("NTFS    ", 3, "latin1");
    assert.equal((await parse(disk)).scheme, "none");
  });

  it("reads MBR primary partitions in slot order with their type names", async () => {
    const disk = Buffer.alloc(16 * MiB);
    writeMbr(disk, 0, [
      { status: 0x80, type: 0x0c, first: 2048, sectors: 8192 },
      { type: 0, first: 0, sectors: 0 },
      { type: 0x83, first: 10240, sectors: 20000 },
    ]);
    const t = await parse(disk);
    assert.equal(t.scheme, "mbr");
    assert.deepEqual(summary(t), [
      [1, 2048, 8192, "FAT32 (LBA)"],
      [3, 10240, 20000, "Linux"],
    ]);
  });

  it("follows the EBR chain of logical partitions, numbered from 5", async () => {
    const disk = Buffer.alloc(16 * MiB);
    writeMbr(disk, 0, [
      { type: 0x07, first: 2048, sectors: 4096 },
      { type: 0x0f, first: 8192, sectors: 20480 },
    ]);
    // EBR 1 at 8192: logical at +2048; next EBR at extended start + 12288.
    writeMbr(disk, 8192 * 512, [
      { type: 0x83, first: 2048, sectors: 8192 },
      { type: 0x05, first: 12288, sectors: 6144 },
    ]);
    writeMbr(disk, (8192 + 12288) * 512, [{ type: 0x82, first: 2048, sectors: 4096 }]);
    const t = await parse(disk);
    assert.deepEqual(summary(t), [
      [1, 2048, 4096, "NTFS/exFAT"],
      [5, 10240, 8192, "Linux"],
      [6, 22528, 4096, "Linux swap"],
    ]);
  });

  it("stops an EBR chain that loops", async () => {
    const disk = Buffer.alloc(16 * MiB);
    writeMbr(disk, 0, [{ type: 0x05, first: 2048, sectors: 20480 }]);
    writeMbr(disk, 2048 * 512, [
      { type: 0x83, first: 2048, sectors: 1024 },
      { type: 0x05, first: 4096, sectors: 4096 },
    ]);
    writeMbr(disk, 6144 * 512, [
      { type: 0x83, first: 2048, sectors: 1024 },
      { type: 0x05, first: 4096, sectors: 4096 }, // links to itself
    ]);
    await rejectsWith(disk, "image-format", /loops back to sector 6144/);
  });

  it("reads a GPT with names and type names", async () => {
    const disk = gptDisk(8 * MiB, [
      { type: EFI, first: 2048, last: 4095, name: "EFI System Partition" },
      { type: LINUX, first: 4096, last: 16000, name: "root" },
    ]);
    const t = await parse(disk);
    assert.equal(t.scheme, "gpt");
    assert.deepEqual(summary(t), [
      [1, 2048, 2048, "EFI system"],
      [2, 4096, 11905, "Linux filesystem"],
    ]);
    assert.deepEqual(
      t.partitions.map((p) => p.name),
      ["EFI System Partition", "root"],
    );
  });

  it("reads a GPT on a disk with 4096-byte sectors, where every LBA counts 4 KiB", async () => {
    const disk = gptDisk(16 * MiB, [{ type: LINUX, first: 256, last: 3839, name: "data" }], 128, 4096);
    const table = await parse(disk);
    assert.equal(table.scheme, "gpt");
    assert.deepEqual(
      table.partitions.map((p) => [p.number, p.start, p.size, p.name]),
      [[1, 256 * 4096, 3584 * 4096, "data"]],
    );
    // With its primary header damaged, the backup at the last 4 KiB sector is used.
    flip(disk, 4096 + 60);
    assert.equal((await parse(disk)).partitions[0]?.start, 256 * 4096);
  });

  it("falls back to the backup GPT when the primary header's CRC is wrong", async () => {
    const disk = gptDisk(8 * MiB, [{ type: LINUX, first: 2048, last: 8191 }]);
    flip(disk, 512 + 60); // inside the disk GUID, covered by the header CRC
    assert.deepEqual(summary(await parse(disk)), [[1, 2048, 6144, "Linux filesystem"]]);
  });

  it("rejects a GPT whose entry arrays both fail their CRC", async () => {
    const disk = gptDisk(8 * MiB, [{ type: LINUX, first: 2048, last: 8191 }]);
    flip(disk, 2 * 512 + 40);
    flip(disk, (disk.length / 512 - 1 - 32) * 512 + 40);
    await rejectsWith(disk, "corrupt-data", /no valid GPT.*entry array CRC32 mismatch/);
  });

  it("rejects absurd GPT entry counts and partitions outside the disk", async () => {
    const huge = gptDisk(8 * MiB, [{ type: LINUX, first: 2048, last: 8191 }]);
    for (const lba of [1, huge.length / 512 - 1]) {
      const h = huge.subarray(lba * 512, lba * 512 + 512);
      h.writeUInt32LE(0xffffffff, 80);
      h.writeUInt32LE(0, 16);
      h.writeUInt32LE(crc32(h.subarray(0, 92)), 16);
    }
    await rejectsWith(huge, "corrupt-data", /not plausible/);
    const outside = gptDisk(8 * MiB, [{ type: LINUX, first: 2048, last: 99999999 }]);
    await rejectsWith(
      outside,
      "corrupt-data",
      /GPT partition 1 spans sectors 2048–99999999, outside the disk/,
    );
  });

  it("rejects garbage with a 55 AA signature", async () => {
    const disk = Buffer.alloc(MiB, 0x5a);
    disk.writeUInt16LE(0xaa55, 510);
    await rejectsWith(disk, "image-format", /boot flag 0x5a/);
  });

  it("rejects MBR partitions past the end of the disk or overlapping", async () => {
    const past = Buffer.alloc(MiB);
    writeMbr(past, 0, [{ type: 0x83, first: 2048, sectors: 0xffffffff }]);
    await rejectsWith(
      past,
      "image-format",
      /MBR partition 1 ends at byte \d+, past the end of the disk \(1048576 bytes\)/,
    );
    const overlap = Buffer.alloc(MiB);
    writeMbr(overlap, 0, [
      { type: 0x83, first: 100, sectors: 500 },
      { type: 0x83, first: 400, sectors: 500 },
    ]);
    await rejectsWith(overlap, "image-format", /partitions 1 and 2 overlap/);
  });

  it("prints GUIDs the way partitioning tools do", () => {
    assert.equal(guid(guidBytes(EFI)), EFI);
  });
});
