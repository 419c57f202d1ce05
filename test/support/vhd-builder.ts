/**
 * VHD files for the reader's tests that qemu cannot make: dynamic disks with other block sizes,
 * and differencing disks (qemu's vpc driver has no backing files), written from the Microsoft
 * "Virtual Hard Disk Image Format Specification".
 */
import { randomBytes } from "node:crypto";
import { statSync, writeFileSync } from "node:fs";
import { patch, readBytes } from "./vhd-fixtures.js";

const SECTOR = 512;

/** Stores the VHD checksum (one's complement of the byte sum) of `bytes` at `at`. */
export function fixVhdChecksum(bytes: Buffer, at: number): void {
  bytes.writeUInt32BE(0, at);
  let sum = 0;
  for (const b of bytes) sum += b;
  bytes.writeUInt32BE(~sum >>> 0, at);
}

export interface VhdBlock {
  data: Buffer;
  /** Differencing disks: whether the child holds that sector of the block (default: all). */
  present?: (sector: number) => boolean;
}

export interface VhdSpec {
  type: "dynamic" | "differencing";
  virtualSize: number;
  blockSize: number;
  /** Allocated blocks; the others are absent (zeros, or the parent's in a differencing disk). */
  blocks: Map<number, VhdBlock>;
  uniqueId?: Buffer;
  parent?: { uniqueId: Buffer; name: string; locators: { code: "W2ru" | "W2ku" | "MacX"; path: string }[] };
}

function footer(spec: VhdSpec, uniqueId: Buffer): Buffer {
  const f = Buffer.alloc(SECTOR);
  f.write("conectix", 0, "latin1");
  f.writeUInt32BE(2, 8);
  f.writeUInt32BE(0x00010000, 12);
  f.writeBigUInt64BE(512n, 16);
  // "win " (Hyper-V): qemu then takes the size from "current size", as the spec says.
  f.write("win ", 28, "latin1");
  f.writeUInt32BE(0x000a0000, 32);
  f.write("Wi2k", 36, "latin1");
  f.writeBigUInt64BE(BigInt(spec.virtualSize), 40);
  f.writeBigUInt64BE(BigInt(spec.virtualSize), 48);
  f.writeUInt16BE(65535, 56);
  f.writeUInt8(16, 58);
  f.writeUInt8(255, 59);
  f.writeUInt32BE(spec.type === "dynamic" ? 3 : 4, 60);
  uniqueId.copy(f, 68);
  fixVhdChecksum(f, 64);
  return f;
}

function encodeLocator(code: string, value: string): Buffer {
  return code === "MacX"
    ? Buffer.from(`file://localhost${encodeURI(value)}`, "utf8")
    : Buffer.from(value, "utf16le");
}

/** Writes the disk and returns its unique id (a child's record of its parent). */
export function writeVhd(file: string, spec: VhdSpec): Buffer {
  const uniqueId = spec.uniqueId ?? randomBytes(16);
  const entries = Math.ceil(spec.virtualSize / spec.blockSize);
  const bat = Buffer.alloc(Math.ceil((entries * 4) / SECTOR) * SECTOR, 0xff);
  const header = Buffer.alloc(1024);
  header.write("cxsparse", 0, "latin1");
  header.writeBigUInt64BE(0xffffffffffffffffn, 8);
  header.writeBigUInt64BE(1536n, 16);
  header.writeUInt32BE(0x00010000, 24);
  header.writeUInt32BE(entries, 28);
  header.writeUInt32BE(spec.blockSize, 32);
  const parts: Buffer[] = [bat];
  let next = 1536 + bat.length;
  if (spec.parent) {
    spec.parent.uniqueId.copy(header, 40);
    Buffer.from(spec.parent.name, "utf16le").swap16().copy(header, 64, 0, 510);
    spec.parent.locators.forEach(({ code, path }, i) => {
      const data = encodeLocator(code, path);
      const space = Math.ceil(data.length / SECTOR) * SECTOR;
      const at = 576 + i * 24;
      header.write(code, at, "latin1");
      header.writeUInt32BE(space, at + 4);
      header.writeUInt32BE(data.length, at + 8);
      header.writeBigUInt64BE(BigInt(next), at + 16);
      parts.push(Buffer.concat([data, Buffer.alloc(space - data.length)]));
      next += space;
    });
  }
  fixVhdChecksum(header, 36);
  const bitmapBytes = Math.ceil(spec.blockSize / SECTOR / 8 / SECTOR) * SECTOR;
  for (const [index, block] of [...spec.blocks].sort((a, b) => a[0] - b[0])) {
    bat.writeUInt32BE(next / SECTOR, index * 4);
    const bitmap = Buffer.alloc(bitmapBytes);
    for (let s = 0; s < spec.blockSize / SECTOR; s++) {
      if (block.present?.(s) ?? true) bitmap[s >> 3] = (bitmap[s >> 3] ?? 0) | (0x80 >> (s & 7));
    }
    parts.push(bitmap, block.data);
    next += bitmapBytes + spec.blockSize;
  }
  const f = footer(spec, uniqueId);
  writeFileSync(file, Buffer.concat([f, header, ...parts, f]));
  return uniqueId;
}

/** Edits the footer at the end and its copy at the start, then fixes both checksums. */
export function editFooters(file: string, edit: (footer: Buffer) => void): void {
  for (const at of [0, statSync(file).size - SECTOR]) {
    const footer = readBytes(file, at, SECTOR);
    edit(footer);
    fixVhdChecksum(footer, 64);
    patch(file, at, footer);
  }
}

/** Edits the dynamic header (at 512 in files qemu makes), then fixes its checksum. */
export function editDynamicHeader(file: string, edit: (header: Buffer) => void): void {
  const header = readBytes(file, 512, 1024);
  edit(header);
  fixVhdChecksum(header, 36);
  patch(file, 512, header);
}

/** The child's present sectors over the parent's bytes: what reading the child must give. */
export function overlayVhd(base: Buffer, blockSize: number, blocks: Map<number, VhdBlock>): Buffer {
  const out = Buffer.from(base);
  for (const [index, block] of blocks) {
    for (let s = 0; s < blockSize / SECTOR; s++) {
      const at = index * blockSize + s * SECTOR;
      if (block.present?.(s) ?? true) block.data.copy(out, at, s * SECTOR, (s + 1) * SECTOR);
    }
  }
  return out;
}
