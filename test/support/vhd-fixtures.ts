/**
 * Shared checks for the VHD and VHDX reader tests: qemu-img as the oracle, byte-for-byte and
 * allocation-map comparisons, in-place damage, and a seeded fuzz loop over header bytes.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, openSync, readFileSync, readSync, writeSync } from "node:fs";
import path from "node:path";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { DiskImageReader, Extent } from "../../main/formats/disk-image.js";
import { ImageFormatError } from "../../main/formats/image-error.js";
import { requireTool } from "./cli.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;

export function requireQemu(): void {
  requireTool("qemu-img", "qemu-utils");
  requireTool("qemu-io", "qemu-utils");
}

export function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args, { encoding: "utf8", stdio: ["ignore", "pipe", "pipe"] });
}

/** Runs qemu-io commands (e.g. "write -P 0xab 0 64k") on an image of format `format`. */
export function qemuIo(format: string, file: string, ...commands: string[]): void {
  const args = ["-f", format, ...commands.flatMap((c) => ["-c", c]), file];
  execFileSync("qemu-io", args, { stdio: ["ignore", "ignore", "pipe"] });
}

/**
 * The virtual disk as qemu-img reads it. The format is given, never probed: qemu probes a fixed
 * VHD as raw (it has no header at its start).
 */
export function qemuRaw(file: string, format: string): Buffer {
  const out = `${file}.oracle.raw`;
  execFileSync("qemu-img", ["convert", "-f", format, "-O", "raw", file, out]);
  return readFileSync(out);
}

export async function withReader<T>(
  open: Promise<DiskImageReader>,
  use: (r: DiskImageReader) => Promise<T>,
): Promise<T> {
  const reader = await open;
  try {
    return await use(reader);
  } finally {
    await reader.close();
  }
}

/**
 * Reads the disk in 4 MiB pieces, then in odd-sized pieces at odd offsets (crossing block and
 * sector edges), comparing every byte with `want`.
 */
export async function assertReads(reader: DiskImageReader, want: Buffer, label: string): Promise<void> {
  assert.equal(reader.virtualSize, want.length, `${label}: virtual size`);
  for (let at = 0; at < want.length; at += 4 * MiB) {
    const piece = Buffer.alloc(Math.min(4 * MiB, want.length - at));
    await reader.read(at, piece);
    if (!piece.equals(want.subarray(at, at + piece.length))) {
      const diff = piece.findIndex((b, i) => b !== want[at + i]);
      assert.fail(`${label}: byte ${at + diff} differs from the expected disk`);
    }
  }
  const rng = new SeededBytes(`odd reads ${label}`);
  for (let i = 0; i < 150; i++) {
    const length = 1 + rng.int(3 * MiB);
    const at = rng.int(Math.max(1, want.length - length));
    const piece = Buffer.alloc(Math.min(length, want.length - at));
    await reader.read(at, piece);
    assert.ok(piece.equals(want.subarray(at, at + piece.length)), `${label}: read of ${length} at ${at}`);
  }
}

/**
 * The allocation map, checked to cover [0, virtualSize) in order without gaps, with every "zero"
 * extent reading as zeros in `want`.
 */
export async function assertAllocation(
  reader: DiskImageReader,
  want: Buffer,
  label: string,
): Promise<Extent[]> {
  const extents: Extent[] = [];
  let expected = 0;
  for await (const e of reader.allocation()) {
    assert.equal(
      e.offset,
      expected,
      `${label}: extent ${extents.length} starts at ${e.offset}, not ${expected}`,
    );
    assert.ok(e.length > 0, `${label}: extent ${extents.length} is empty`);
    if (e.kind === "zero") {
      const bytes = want.subarray(e.offset, e.offset + e.length);
      assert.ok(
        bytes.every((b) => b === 0),
        `${label}: zero extent at ${e.offset} holds data`,
      );
    }
    expected += e.length;
    extents.push(e);
  }
  assert.equal(expected, reader.virtualSize, `${label}: the extents cover the whole disk`);
  return extents;
}

export function bytesOfKind(extents: Extent[], kind: Extent["kind"]): number {
  return extents.filter((e) => e.kind === kind).reduce((n, e) => n + e.length, 0);
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

export function readBytes(file: string, offset: number, length: number): Buffer {
  const fd = openSync(file, "r");
  try {
    const b = Buffer.alloc(length);
    readSync(fd, b, 0, length, offset);
    return b;
  } finally {
    closeSync(fd);
  }
}

/**
 * Opens, maps and reads the start and end of an image, expecting an ImageFormatError (which is
 * returned, for checks of its message and hint).
 */
export async function imageError(
  open: () => Promise<DiskImageReader>,
  label: string,
): Promise<ImageFormatError> {
  try {
    await withReader(open(), async (r) => {
      for await (const e of r.allocation()) void e;
      const edge = Math.min(r.virtualSize, 4 * MiB);
      await r.read(0, Buffer.alloc(edge));
      await r.read(r.virtualSize - edge, Buffer.alloc(edge));
    });
  } catch (err) {
    assert.ok(err instanceof ImageFormatError, `${label}: expected an ImageFormatError, got ${String(err)}`);
    return err;
  }
  assert.fail(`${label}: expected an ImageFormatError, but the image opened and read`);
}

/** A structure with a checksum that the fuzzer may fix after damaging it, to get past the check. */
export interface Checksummed {
  offset: number;
  length: number;
  fix: (bytes: Buffer) => void;
}

export interface FuzzSpec {
  file: string;
  seed: string;
  iterations: number;
  /** Byte ranges worth damaging (headers, tables); each is picked equally often. */
  targets: { offset: number; length: number }[];
  checksummed: Checksummed[];
  open: (file: string) => Promise<DiskImageReader>;
}

const INTERESTING = [0x00, 0xff, 0x7f, 0x80, 0x01, 0x10, 0x40];

/**
 * Damages a few bytes, sometimes fixes the checksums, then opens the image, walks part of its map
 * and reads its first MiB: each attempt must succeed or fail with an ImageFormatError. The file is
 * restored after each attempt. Returns how many attempts opened.
 */
export async function fuzz(spec: FuzzSpec): Promise<{ opened: number; refused: number }> {
  const rng = new SeededBytes(spec.seed);
  const fd = openSync(spec.file, "r+");
  const original = (r: { offset: number; length: number }) => ({
    ...r,
    bytes: readBytes(spec.file, r.offset, r.length),
  });
  const targets = spec.targets.map(original);
  const checksummed = spec.checksummed.map((c) => ({ ...original(c), fix: c.fix }));
  let opened = 0;
  let refused = 0;
  try {
    for (let i = 0; i < spec.iterations; i++) {
      const target = targets[rng.int(targets.length)];
      assert.ok(target);
      const hit: number[] = [];
      for (let n = 1 + rng.int(4); n > 0; n--) {
        const at = target.offset + rng.int(target.length);
        const value = rng.int(2) === 0 ? (INTERESTING[rng.int(INTERESTING.length)] ?? 0) : rng.int(256);
        writeSync(fd, Buffer.from([value]), 0, 1, at);
        hit.push(at);
      }
      // Most of the time the damaged structure gets a valid checksum, so parsing goes deeper.
      const touched = checksummed.filter((c) => hit.some((at) => at >= c.offset && at < c.offset + c.length));
      if (rng.int(4) !== 0) {
        for (const c of touched) {
          const bytes = readBytes(spec.file, c.offset, c.length);
          c.fix(bytes);
          writeSync(fd, bytes, 0, bytes.length, c.offset);
        }
      }
      try {
        await withReader(spec.open(spec.file), async (r) => {
          let extents = 0;
          for await (const e of r.allocation()) if (++extents > 256 || e.offset > 64 * MiB) break;
          await r.read(0, Buffer.alloc(Math.min(r.virtualSize, MiB)));
        });
        opened++;
      } catch (err) {
        if (!(err instanceof ImageFormatError)) {
          assert.fail(`fuzz attempt ${i} of ${path.basename(spec.file)}: unexpected ${String(err)}`);
        }
        refused++;
      }
      for (const o of [target, ...touched]) writeSync(fd, o.bytes, 0, o.bytes.length, o.offset);
    }
  } finally {
    closeSync(fd);
  }
  return { opened, refused };
}
