/**
 * qcow2 test images made by qemu-img and qemu-io (the reference implementation), and checks of a
 * DiskImageReader against what qemu-img reads from the same image.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { DiskImageReader, Extent } from "../../main/formats/disk-image.js";
import { requireTool } from "./cli.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;

export function requireQemu(): void {
  requireTool("qemu-img", "qemu-utils");
  requireTool("qemu-io", "qemu-utils");
}

/** Runs qemu-img in `cwd`, so relative backing names are stored as given. */
export function qemuImg(cwd: string, ...args: string[]): string {
  return execFileSync("qemu-img", args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs qemu-io commands (e.g. "write -P 0xab 0 64k") against a qcow2 image. */
export function qemuIo(file: string, ...commands: string[]): void {
  const args = ["-f", "qcow2", ...commands.flatMap((c) => ["-c", c]), file];
  execFileSync("qemu-io", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/** The virtual disk as qemu-img reads it. */
export function qemuRaw(file: string): Buffer {
  const out = `${file}.oracle.raw`;
  execFileSync("qemu-img", ["convert", "-O", "raw", file, out]);
  return readFileSync(out);
}

export interface QemuMapEntry {
  start: number;
  length: number;
  zero: boolean;
  data: boolean;
  /** 0 for the image itself, 1 for its backing file… */
  depth: number;
  present: boolean;
}

export function qemuMap(file: string): QemuMapEntry[] {
  return JSON.parse(
    execFileSync("qemu-img", ["map", "--output=json", file], { encoding: "utf8" }),
  ) as QemuMapEntry[];
}

/** Overwrites bytes of a file in place (to damage a header or a table). */
export function patch(file: string, offset: number, bytes: Buffer): void {
  const fd = openSync(file, "r+");
  try {
    writeSync(fd, bytes, 0, bytes.length, offset);
  } finally {
    closeSync(fd);
  }
}

export function u64(value: bigint): Buffer {
  const b = Buffer.alloc(8);
  b.writeBigUInt64BE(value);
  return b;
}

/**
 * Reads the whole disk in 1 MiB pieces, then in odd-sized pieces at odd offsets (which cross
 * cluster and subcluster edges), and compares every byte with qemu's reading.
 */
export async function assertReadsLikeQemu(reader: DiskImageReader, file: string): Promise<void> {
  const want = qemuRaw(file);
  assert.equal(reader.virtualSize, want.length, `${path.basename(file)}: virtual size`);
  for (let at = 0; at < want.length; at += MiB) {
    const piece = Buffer.alloc(Math.min(MiB, want.length - at));
    await reader.read(at, piece);
    if (!piece.equals(want.subarray(at, at + piece.length))) {
      assert.fail(`${path.basename(file)}: bytes differ from qemu-img in the MiB at ${at}`);
    }
  }
  const rng = new SeededBytes(`odd reads ${path.basename(file)}`);
  for (let i = 0; i < 200; i++) {
    const length = 1 + rng.int(300 * KiB);
    const at = rng.int(Math.max(1, want.length - length));
    const piece = Buffer.alloc(Math.min(length, want.length - at));
    await reader.read(at, piece);
    assert.ok(piece.equals(want.subarray(at, at + piece.length)), `${path.basename(file)}: read at ${at}`);
  }
}

/** The allocation map, checked to cover [0, virtualSize) in order with no gaps. */
export async function extentsOf(reader: DiskImageReader): Promise<Extent[]> {
  const extents: Extent[] = [];
  let expected = 0;
  for await (const e of reader.allocation()) {
    assert.equal(e.offset, expected, `extent ${extents.length} starts at ${e.offset}, expected ${expected}`);
    assert.ok(e.length > 0, `extent ${extents.length} is empty`);
    expected += e.length;
    extents.push(e);
  }
  assert.equal(expected, reader.virtualSize, "the extents cover the whole disk");
  return extents;
}

function kindAt(extents: Extent[], offset: number): Extent["kind"] {
  let lo = 0;
  let hi = extents.length - 1;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((extents[mid]?.offset ?? 0) <= offset) lo = mid;
    else hi = mid - 1;
  }
  const e = extents[lo];
  assert.ok(e && e.offset <= offset && offset < e.offset + e.length, `no extent at ${offset}`);
  return e.kind;
}

/**
 * Compares our map with `qemu-img map`: where we say zero, qemu must say zero; where qemu says
 * data, we must say data. With `exact`, qemu's zeros must be our zeros too (true when no raw file,
 * whose holes we do not look for, is in the chain).
 */
export function assertMapAgrees(ours: Extent[], qemu: QemuMapEntry[], exact: boolean): void {
  const cuts = new Set<number>();
  for (const e of ours) cuts.add(e.offset);
  for (const q of qemu) cuts.add(q.start);
  for (const cut of [...cuts].sort((a, b) => a - b)) {
    const q = qemu.find((entry) => entry.start <= cut && cut < entry.start + entry.length);
    if (!q) continue;
    const kind = kindAt(ours, cut);
    if (kind === "zero") assert.ok(q.zero, `we say zero at ${cut}, qemu-img map says data`);
    if (q.data && !q.zero) assert.equal(kind, "data", `qemu-img map says data at ${cut}`);
    if (exact && q.zero) assert.equal(kind, "zero", `qemu-img map says zero at ${cut}`);
  }
}

/** Asserts that [offset, offset + length) is entirely "zero" in the map. */
export function assertZeroRange(extents: Extent[], offset: number, length: number): void {
  for (const e of extents) {
    if (e.offset + e.length <= offset || e.offset >= offset + length) continue;
    assert.equal(
      e.kind,
      "zero",
      `expected zeros in [${offset}, ${offset + length}), found ${JSON.stringify(e)}`,
    );
  }
}
