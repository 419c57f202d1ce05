/**
 * Reads a disk's partition table ourselves, because 7-Zip shows a multi-partition disk only as
 * "0.img", "1.img" and cannot tell us which is which. Handles MBR (four primary entries plus the
 * chain of EBRs inside an extended partition) and GPT (protective MBR, header and entry array,
 * both CRC32-checked, falling back to the backup header at the end of the disk).
 *
 * Sectors are 512 bytes, what virtual disks almost always present, except for a GPT found with
 * 4096-byte sectors (a Hyper-V VHDX can have 4 KiB logical sectors, and Generation 2 VMs use
 * GPT): its header is then at byte 4096 instead of 512, and every LBA counts 4 KiB. An MBR disk
 * with 4 KiB sectors cannot be told from a 512-byte one by its table alone and is read as 512.
 *
 * Pure: it reads through a callback, so unit tests feed it Buffers.
 */
import { crc32 } from "node:zlib";
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import { MBR_EXTENDED_TYPES, MBR_PROTECTIVE_GPT, gptTypeName, mbrTypeName } from "./partition-types.js";

export const SECTOR = 512;
/** The sector sizes a GPT is looked for with, in this order. */
const GPT_SECTOR_SIZES = [512, 4096] as const;
/** EBR chains longer than this are loops or garbage; Linux itself stops far below. */
const MAX_LOGICAL = 256;
/** GPT entry arrays larger than this are garbage (the usual one is 128 × 128 bytes = 16 KiB). */
const MAX_GPT_ARRAY_BYTES = 1024 * 1024;

export interface PartitionInfo {
  /** 1-based, as in "2:/etc": the slot (MBR 1–4, logical 5…) or GPT entry index, as Linux numbers them. */
  number: number;
  /** Bytes from the start of the disk. */
  start: number;
  size: number;
  /** Human name: "Linux filesystem", "Microsoft basic data", "FAT32 (LBA)"… */
  type: string;
  scheme: "mbr" | "gpt" | "none";
  /** GPT partition name. */
  name?: string;
}

export interface PartitionTable {
  scheme: "mbr" | "gpt" | "none";
  partitions: PartitionInfo[];
}

export type ByteReader = (offset: number, length: number) => Promise<Buffer>;

const TABLE_HINT =
  "The partition table of this disk is damaged. Restore the whole disk and repair it (testdisk, gdisk), or browse another restore point.";

function tableError(label: string, what: string): SnapferryError {
  return new SnapferryError("image-format", `${label}: ${what}`, TABLE_HINT);
}

export async function readPartitionTable(
  read: ByteReader,
  diskSize: number,
  label = "disk",
): Promise<PartitionTable> {
  if (diskSize < SECTOR) return wholeDisk(diskSize);
  const mbr = await read(0, SECTOR);
  if (mbr.readUInt16LE(510) !== 0xaa55 || looksLikeBootSector(mbr)) return wholeDisk(diskSize);
  const entries = [0, 1, 2, 3].map((i) => mbrEntry(mbr, i));
  if (entries.some((e) => e.type === MBR_PROTECTIVE_GPT)) return readGpt(read, diskSize, label);
  return readMbr(read, entries, diskSize, label);
}

function wholeDisk(size: number): PartitionTable {
  return { scheme: "none", partitions: [{ number: 1, start: 0, size, type: "whole disk", scheme: "none" }] };
}

/**
 * A file system written straight onto the disk (no partition table) also ends its first sector
 * with 55 AA; its jump instruction and file-system name tell it from an MBR.
 */
function looksLikeBootSector(sector: Buffer): boolean {
  const jump = sector[0] === 0xeb || sector[0] === 0xe9;
  const oem = sector.toString("latin1", 3, 11);
  const fat = sector.toString("latin1", 54, 59) === "FAT12" || sector.toString("latin1", 54, 59) === "FAT16";
  const fat32 = sector.toString("latin1", 82, 87) === "FAT32";
  return jump && (oem === "NTFS    " || oem === "EXFAT   " || fat || fat32);
}

interface MbrEntry {
  slot: number;
  status: number;
  type: number;
  /** In sectors, relative to whatever the table is relative to. */
  first: number;
  sectors: number;
}

function mbrEntry(sector: Buffer, i: number): MbrEntry {
  const at = 446 + i * 16;
  return {
    slot: i + 1,
    status: sector.readUInt8(at),
    type: sector.readUInt8(at + 4),
    first: sector.readUInt32LE(at + 8),
    sectors: sector.readUInt32LE(at + 12),
  };
}

async function readMbr(
  read: ByteReader,
  entries: MbrEntry[],
  diskSize: number,
  label: string,
): Promise<PartitionTable> {
  const partitions: PartitionInfo[] = [];
  for (const e of entries) {
    if (e.type === 0) continue;
    if (e.status !== 0 && e.status !== 0x80) {
      throw tableError(
        label,
        `MBR entry ${e.slot} has boot flag 0x${e.status.toString(16)} (not 0x00 or 0x80)`,
      );
    }
    checkExtent(label, `MBR partition ${e.slot}`, e.first, e.sectors, 0, diskSize);
    if (MBR_EXTENDED_TYPES.has(e.type)) partitions.push(...(await readLogical(read, e, diskSize, label)));
    else partitions.push(mbrPartition(e.slot, e, 0));
  }
  checkOverlap(label, partitions);
  partitions.sort((a, b) => a.number - b.number);
  return { scheme: "mbr", partitions };
}

function mbrPartition(number: number, e: MbrEntry, base: number): PartitionInfo {
  return {
    number,
    start: (base + e.first) * SECTOR,
    size: e.sectors * SECTOR,
    type: mbrTypeName(e.type),
    scheme: "mbr",
  };
}

/** Follows the EBR chain: each EBR holds one logical partition and a link to the next EBR. */
async function readLogical(
  read: ByteReader,
  extended: MbrEntry,
  diskSize: number,
  label: string,
): Promise<PartitionInfo[]> {
  const out: PartitionInfo[] = [];
  const seen = new Set<number>();
  const extEnd = extended.first + extended.sectors;
  for (let ebr = extended.first; ;) {
    if (seen.has(ebr)) throw tableError(label, `the chain of logical partitions loops back to sector ${ebr}`);
    if (out.length >= MAX_LOGICAL) throw tableError(label, `more than ${MAX_LOGICAL} logical partitions`);
    seen.add(ebr);
    const sector = await read(ebr * SECTOR, SECTOR);
    if (sector.readUInt16LE(510) !== 0xaa55) {
      throw tableError(label, `the extended boot record at sector ${ebr} has no 55 AA signature`);
    }
    const logical = mbrEntry(sector, 0);
    const link = mbrEntry(sector, 1);
    if (logical.type !== 0) {
      const number = 5 + out.length;
      checkExtent(label, `logical partition ${number}`, ebr + logical.first, logical.sectors, 0, diskSize);
      if (ebr + logical.first + logical.sectors > extEnd) {
        throw tableError(label, `logical partition ${number} reaches past the end of its extended partition`);
      }
      out.push(mbrPartition(number, logical, ebr));
    }
    if (link.type === 0 || link.sectors === 0) return out;
    const next = extended.first + link.first;
    if (link.first === 0 || next >= extEnd) {
      throw tableError(
        label,
        `the extended boot record at sector ${ebr} links outside its extended partition`,
      );
    }
    ebr = next;
  }
}

function checkExtent(label: string, what: string, first: number, sectors: number, min: number, size: number) {
  if (sectors === 0 || first <= min) throw tableError(label, `${what} has an empty or impossible extent`);
  const end = (first + sectors) * SECTOR;
  if (end > size) {
    throw tableError(label, `${what} ends at byte ${end}, past the end of the disk (${size} bytes)`);
  }
}

function checkOverlap(label: string, partitions: PartitionInfo[]): void {
  const sorted = [...partitions].sort((a, b) => a.start - b.start);
  for (let i = 1; i < sorted.length; i++) {
    const prev = sorted[i - 1];
    const cur = sorted[i];
    if (prev && cur && cur.start < prev.start + prev.size) {
      throw tableError(label, `partitions ${prev.number} and ${cur.number} overlap`);
    }
  }
}

interface GptHeader {
  entriesLba: number;
  count: number;
  entrySize: number;
  entriesCrc: number;
  alternate: number;
}

async function readGpt(read: ByteReader, diskSize: number, label: string): Promise<PartitionTable> {
  const problems: string[] = [];
  for (const sectorSize of GPT_SECTOR_SIZES) {
    const lastLba = Math.floor(diskSize / sectorSize) - 1;
    if (lastLba < 2) continue;
    for (const [lba, which] of [
      [1, "primary"],
      [lastLba, "backup"],
    ] as const) {
      try {
        const disk: GptDisk = { read, sectorSize, lastLba, label };
        const header = parseGptHeader(await read(lba * sectorSize, sectorSize), lba, disk);
        return { scheme: "gpt", partitions: await readGptEntries(header, disk) };
      } catch (err) {
        if (!(err instanceof SnapferryError)) throw err;
        problems.push(`${which} with ${sectorSize}-byte sectors: ${err.message.replace(`${label}: `, "")}`);
      }
    }
  }
  throw new CorruptDataError(
    `${label}: no valid GPT (${problems.join("; ")})`,
    "Both copies of the GPT are damaged. Restore the whole disk and repair it with gdisk or testdisk, or browse another restore point.",
  );
}

/** What reading a GPT needs to know about its disk. */
interface GptDisk {
  read: ByteReader;
  sectorSize: number;
  lastLba: number;
  label: string;
}

function parseGptHeader(sector: Buffer, lba: number, disk: GptDisk): GptHeader {
  const { label, lastLba, sectorSize } = disk;
  if (sector.toString("latin1", 0, 8) !== "EFI PART") throw tableError(label, "GPT header signature missing");
  const headerSize = sector.readUInt32LE(12);
  if (headerSize < 92 || headerSize > sectorSize)
    throw tableError(label, `GPT header size ${headerSize} is invalid`);
  const copy = Buffer.from(sector.subarray(0, headerSize));
  copy.writeUInt32LE(0, 16);
  if (crc32(copy) !== sector.readUInt32LE(16))
    throw new CorruptDataError(`${label}: GPT header CRC32 mismatch`);
  if (Number(sector.readBigUInt64LE(24)) !== lba)
    throw tableError(label, "GPT header is not where it says it is");
  const header = {
    alternate: Number(sector.readBigUInt64LE(32)),
    entriesLba: Number(sector.readBigUInt64LE(72)),
    count: sector.readUInt32LE(80),
    entrySize: sector.readUInt32LE(84),
    entriesCrc: sector.readUInt32LE(88),
  };
  if (
    header.entrySize < 128 ||
    header.entrySize % 8 !== 0 ||
    header.count * header.entrySize > MAX_GPT_ARRAY_BYTES
  ) {
    throw tableError(
      label,
      `GPT entry array of ${header.count} × ${header.entrySize} bytes is not plausible`,
    );
  }
  const arraySectors = Math.ceil((header.count * header.entrySize) / sectorSize);
  if (header.entriesLba < 1 || header.entriesLba + arraySectors - 1 > lastLba) {
    throw tableError(label, `GPT entry array at sector ${header.entriesLba} lies outside the disk`);
  }
  return header;
}

async function readGptEntries(h: GptHeader, disk: GptDisk): Promise<PartitionInfo[]> {
  const { label, lastLba, sectorSize } = disk;
  const array = await disk.read(h.entriesLba * sectorSize, h.count * h.entrySize);
  if (crc32(array) !== h.entriesCrc) throw new CorruptDataError(`${label}: GPT entry array CRC32 mismatch`);
  const out: PartitionInfo[] = [];
  for (let i = 0; i < h.count; i++) {
    const e = array.subarray(i * h.entrySize, (i + 1) * h.entrySize);
    const type = guid(e.subarray(0, 16));
    if (type === "00000000-0000-0000-0000-000000000000") continue;
    const first = Number(e.readBigUInt64LE(32));
    const last = Number(e.readBigUInt64LE(40));
    if (first < 1 || last < first || last > lastLba) {
      throw tableError(label, `GPT partition ${i + 1} spans sectors ${first}–${last}, outside the disk`);
    }
    const name = e.toString("utf16le", 56, 128).replace(/\0.*$/s, "");
    out.push({
      number: i + 1,
      start: first * sectorSize,
      size: (last - first + 1) * sectorSize,
      type: gptTypeName(type),
      scheme: "gpt",
      ...(name ? { name } : {}),
    });
  }
  checkOverlap(label, out);
  return out;
}

/** A GUID as printed: the first three fields are little-endian on disk. */
export function guid(b: Buffer): string {
  const hex = (buf: Buffer): string => buf.toString("hex").toUpperCase();
  const le = (s: number, e: number): string => hex(Buffer.from(b.subarray(s, e)).reverse());
  return `${le(0, 4)}-${le(4, 6)}-${le(6, 8)}-${hex(b.subarray(8, 10))}-${hex(b.subarray(10, 16))}`;
}
