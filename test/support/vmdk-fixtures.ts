/**
 * VMDK test fixtures: qemu-img/qemu-io as the oracle, whole-disk and windowed comparisons of a
 * reader against `qemu-img convert -O raw`, and writers for the layouts qemu cannot produce
 * (VMware's stream-optimized with the grain directory at the end, ESXi's COWD snapshot deltas).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { openSync, readFileSync, readSync, closeSync, writeFileSync } from "node:fs";
import path from "node:path";
import { deflateSync } from "node:zlib";
import type { DiskImageReader, Extent } from "../../main/formats/disk-image.js";

export const KiB = 1024;
export const MiB = 1024 * 1024;
export const GiB = 1024 * MiB;
const SECTOR = 512;

export function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs qemu-io commands (e.g. "write -P 0x11 0 1M") against a VMDK, in one process. */
export function qemuIo(file: string, ...commands: string[]): void {
  execFileSync("qemu-io", ["-f", "vmdk", ...commands.flatMap((c) => ["-c", c]), file], { stdio: "ignore" });
}

/** The oracle: the disk as qemu reads it, as a raw file next to the image. */
export function qemuRaw(image: string): string {
  const raw = `${image}.oracle.raw`;
  qemuImg("convert", "-f", "vmdk", "-O", "raw", image, raw);
  return raw;
}

export async function readAll(reader: DiskImageReader, chunk = MiB): Promise<Buffer> {
  const out = Buffer.alloc(reader.virtualSize);
  for (let off = 0; off < reader.virtualSize; off += chunk) {
    await reader.read(off, out.subarray(off, Math.min(reader.virtualSize, off + chunk)));
  }
  return out;
}

export async function collect(reader: DiskImageReader): Promise<Extent[]> {
  const out: Extent[] = [];
  for await (const e of reader.allocation()) out.push({ ...e });
  return out;
}

/** The allocation map covers [0, size) in order, without gaps or overlaps. */
export function assertCovers(extents: Extent[], size: number): void {
  let at = 0;
  for (const e of extents) {
    assert.equal(e.offset, at, `extent at ${e.offset} should start at ${at}`);
    assert.ok(e.length > 0, `empty extent at ${e.offset}`);
    at += e.length;
  }
  assert.equal(at, size, "the allocation map covers the whole disk");
}

function firstDifference(a: Buffer, b: Buffer): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) if (a[i] !== b[i]) return i;
  return n;
}

export function assertSameBytes(got: Buffer, want: Buffer, what: string): void {
  if (got.equals(want)) return;
  assert.fail(
    `${what}: differs from qemu at byte ${firstDifference(got, want)} (sizes ${got.length}/${want.length})`,
  );
}

/**
 * Reads the whole disk twice (1 MiB chunks, then odd-sized chunks that straddle grain and extent
 * boundaries), compares both with qemu's raw conversion and checks the allocation map against it.
 */
export async function assertMatchesQemu(reader: DiskImageReader, image: string): Promise<Extent[]> {
  const want = readFileSync(qemuRaw(image));
  assert.equal(reader.virtualSize, want.length, "virtual size");
  assertSameBytes(await readAll(reader), want, image);
  assertSameBytes(await readAll(reader, 100 * KiB + 512), want, `${image} (unaligned reads)`);
  const extents = await collect(reader);
  assertCovers(extents, reader.virtualSize);
  for (const e of extents) {
    if (e.kind === "zero") {
      const slice = want.subarray(e.offset, e.offset + e.length);
      assert.ok(
        slice.every((b) => b === 0),
        `extent ${e.offset}+${e.length} is marked zero but holds data`,
      );
    }
  }
  return extents;
}

/** Compares `ranges` of a disk too big to hold in memory with qemu's (sparse) raw conversion. */
export async function assertWindowsMatchQemu(
  reader: DiskImageReader,
  image: string,
  ranges: [offset: number, length: number][],
): Promise<void> {
  const raw = qemuRaw(image);
  const fd = openSync(raw, "r");
  try {
    for (const [offset, length] of ranges) {
      const want = Buffer.alloc(length);
      readSync(fd, want, 0, length, offset);
      const got = Buffer.alloc(length);
      await reader.read(offset, got);
      assertSameBytes(got, want, `${image} window at ${offset}`);
    }
  } finally {
    closeSync(fd);
  }
}

/** qemu's own allocation map, for disks too big to compare whole. */
export function qemuDataRanges(image: string): [number, number][] {
  const map = JSON.parse(qemuImg("map", "--output=json", "-f", "vmdk", image)) as {
    start: number;
    length: number;
    data: boolean;
  }[];
  const ranges: [number, number][] = [];
  for (const m of map.filter((r) => r.data)) {
    const last = ranges.at(-1);
    // qemu splits ranges at extent boundaries; merge them as the reader does.
    if (last && last[0] + last[1] === m.start) last[1] += m.length;
    else ranges.push([m.start, m.length]);
  }
  return ranges;
}

/** Replaces the text of a separate descriptor file (qemu pads some with NULs). */
export function rewriteDescriptor(file: string, edit: (text: string) => string): void {
  const text = readFileSync(file, "latin1").replace(/\0+$/, "");
  writeFileSync(file, edit(text), "latin1");
}

/** Edits the descriptor embedded in a monolithicSparse file in place (same length or shorter). */
export function rewriteEmbeddedDescriptor(file: string, edit: (text: string) => string): void {
  const bytes = readFileSync(file);
  const start = Number(bytes.readBigUInt64LE(28)) * SECTOR;
  const size = Number(bytes.readBigUInt64LE(36)) * SECTOR;
  const old = bytes.toString("latin1", start, start + size).replace(/\0+$/, "");
  const updated = Buffer.from(edit(old), "latin1");
  assert.ok(updated.length <= size, "the edited descriptor must fit its sectors");
  bytes.fill(0, start, start + size);
  updated.copy(bytes, start);
  writeFileSync(file, bytes);
}

function header(capacity: number, descriptorSectors: number, gdSector: bigint): Buffer {
  const h = Buffer.alloc(SECTOR);
  h.write("KDMV", 0, "latin1");
  h.writeUInt32LE(3, 4);
  h.writeUInt32LE(0x30001, 8); // newline test, compressed grains, markers
  h.writeBigUInt64LE(BigInt(capacity / SECTOR), 12);
  h.writeBigUInt64LE(128n, 20);
  h.writeBigUInt64LE(1n, 28);
  h.writeBigUInt64LE(BigInt(descriptorSectors), 36);
  h.writeUInt32LE(512, 44);
  h.writeBigUInt64LE(gdSector, 56);
  h.writeBigUInt64LE(BigInt(1 + descriptorSectors), 64);
  h.write("\n \r\n", 73, "latin1");
  h.writeUInt16LE(1, 77);
  return h;
}

function marker(sectors: number, type: number): Buffer {
  const m = Buffer.alloc(SECTOR);
  m.writeBigUInt64LE(BigInt(sectors), 0);
  m.writeUInt32LE(type, 12);
  return m;
}

function padToSector(b: Buffer): Buffer {
  const size = Math.ceil(b.length / SECTOR) * SECTOR;
  return size === b.length ? b : Buffer.concat([b, Buffer.alloc(size - b.length)]);
}

/**
 * Writes `raw` as VMware writes a stream-optimized disk (OVF export): the header says the grain
 * directory is at the end, each non-zero grain follows a grain marker, each grain table and the
 * directory follow their markers, then the footer and the end-of-stream marker.
 */
export function writeVmwareStream(raw: Buffer, file: string): void {
  const grain = 64 * KiB;
  const grains = Math.ceil(raw.length / grain);
  const tables = Math.ceil(grains / 512);
  const descriptor = padToSector(
    Buffer.from(
      `# Disk DescriptorFile\nversion=1\nCID=5eed5eed\nparentCID=ffffffff\ncreateType="streamOptimized"\n\n` +
        `# Extent description\nRDONLY ${raw.length / SECTOR} SPARSE "${path.basename(file)}"\n\n` +
        `# The Disk Data Base\n#DDB\nddb.adapterType = "lsilogic"\n`,
      "latin1",
    ),
  );
  const parts: Buffer[] = [header(raw.length, descriptor.length / SECTOR, 0xffffffffffffffffn), descriptor];
  let sector = 1 + descriptor.length / SECTOR;
  const push = (b: Buffer): void => {
    parts.push(b);
    sector += b.length / SECTOR;
  };
  const gd = Buffer.alloc(tables * 4);
  for (let t = 0; t < tables; t++) {
    const gt = Buffer.alloc(512 * 4);
    let used = false;
    for (let g = t * 512; g < Math.min(grains, (t + 1) * 512); g++) {
      const data = raw.subarray(g * grain, (g + 1) * grain);
      if (data.every((b) => b === 0)) continue;
      const compressed = deflateSync(data);
      const head = Buffer.alloc(12);
      head.writeBigUInt64LE(BigInt((g * grain) / SECTOR), 0);
      head.writeUInt32LE(compressed.length, 8);
      gt.writeUInt32LE(sector, (g - t * 512) * 4);
      used = true;
      push(padToSector(Buffer.concat([head, compressed])));
    }
    if (!used) continue;
    push(marker(4, 1));
    gd.writeUInt32LE(sector, t * 4);
    push(gt);
  }
  push(marker(Math.ceil(gd.length / SECTOR), 2));
  const gdSector = sector;
  push(padToSector(gd));
  push(marker(1, 3));
  push(header(raw.length, descriptor.length / SECTOR, BigInt(gdSector)));
  push(Buffer.alloc(SECTOR));
  writeFileSync(file, Buffer.concat(parts));
}

/**
 * Writes an ESXi vmfsSparse delta: `<name>.vmdk` (descriptor) and `<name>-delta.vmdk` (COWD with
 * 512-byte grains), holding `writes` (sector-aligned buffers) over a parent with CID `parentCid`.
 */
export function writeCowdDelta(
  dir: string,
  name: string,
  capacity: number,
  parent: { hint: string; cid: string },
  writes: { offset: number; data: Buffer }[],
): string {
  const gtes = 4096;
  const sectors = capacity / SECTOR;
  const gdEntries = Math.ceil(sectors / gtes);
  const gdSector = 4;
  let next = gdSector + Math.ceil((gdEntries * 4) / SECTOR);
  const gd = Buffer.alloc(gdEntries * 4);
  const tables = new Map<number, { sector: number; gt: Buffer }>();
  const grains: { sector: number; data: Buffer }[] = [];
  for (const { offset, data } of writes) {
    for (let s = 0; s < data.length / SECTOR; s++) {
      const lba = offset / SECTOR + s;
      const t = Math.floor(lba / gtes);
      let table = tables.get(t);
      if (!table) {
        table = { sector: next, gt: Buffer.alloc(gtes * 4) };
        next += (gtes * 4) / SECTOR;
        tables.set(t, table);
        gd.writeUInt32LE(table.sector, t * 4);
      }
      table.gt.writeUInt32LE(next, (lba % gtes) * 4);
      grains.push({ sector: next, data: data.subarray(s * SECTOR, (s + 1) * SECTOR) });
      next++;
    }
  }
  const delta = Buffer.alloc(next * SECTOR);
  delta.write("COWD", 0, "latin1");
  [1, 3, sectors, 1, gdSector, gdEntries, next].forEach((v, i) => delta.writeUInt32LE(v, 4 + i * 4));
  gd.copy(delta, gdSector * SECTOR);
  for (const { sector, gt } of tables.values()) gt.copy(delta, sector * SECTOR);
  for (const { sector, data } of grains) data.copy(delta, sector * SECTOR);
  writeFileSync(path.join(dir, `${name}-delta.vmdk`), delta);
  const descriptor = path.join(dir, `${name}.vmdk`);
  writeFileSync(
    descriptor,
    `# Disk DescriptorFile\nversion=1\nencoding="UTF-8"\nCID=c0dec0de\nparentCID=${parent.cid}\n` +
      `isNativeSnapshot="no"\ncreateType="vmfsSparse"\nparentFileNameHint="${parent.hint}"\n` +
      `# Extent description\nRW ${sectors} VMFSSPARSE "${name}-delta.vmdk"\n\n# The Disk Data Base\n#DDB\n`,
  );
  return descriptor;
}

/** Turns a qemu monolithicFlat disk into an ESXi one: createType vmfs/vmfsThin, VMFS extent. */
export function makeVmfsDescriptor(monolithicFlat: string, createType: "vmfs" | "vmfsThin"): void {
  rewriteDescriptor(monolithicFlat, (t) =>
    t
      .replace(/createType="monolithicFlat"/, `createType="${createType}"`)
      .replace(/ FLAT (".*") 0/, " VMFS $1"),
  );
}
