/**
 * The region table (two copies, at 192 KiB and 256 KiB) says where the BAT and the metadata
 * region lie in the file. A copy counts only if its signature and CRC-32C are right; a region
 * marked required that this reader does not know means a newer format it must not guess at.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { toSafeNumber } from "../shared/binary.js";
import { crc32cWithoutField } from "./crc32c.js";
import { REGION_BAT, REGION_METADATA, readGuid } from "./guid.js";

const TABLE_OFFSETS = [192 * 1024, 256 * 1024] as const;
const TABLE_SIZE = 64 * 1024;
const MAX_ENTRIES = 2047;
const MIB = 1024 * 1024;

export interface Region {
  offset: number;
  length: number;
}

export interface Regions {
  bat: Region;
  metadata: Region;
}

interface RegionEntry {
  guid: string;
  rawOffset: bigint;
  length: number;
  required: boolean;
}

function parseTable(data: Buffer): RegionEntry[] | undefined {
  if (data.toString("latin1", 0, 4) !== "regi") return undefined;
  if (data.readUInt32LE(4) !== crc32cWithoutField(data, 4)) return undefined;
  const count = data.readUInt32LE(8);
  if (count > MAX_ENTRIES) return undefined;
  const entries: RegionEntry[] = [];
  for (let i = 0; i < count; i++) {
    const at = 16 + i * 32;
    entries.push({
      guid: readGuid(data, at),
      // Checked against 2^53 only for the regions used: an unknown optional one may hold anything.
      rawOffset: data.readBigUInt64LE(at + 16),
      length: data.readUInt32LE(at + 24),
      required: (data.readUInt32LE(at + 28) & 1) === 1,
    });
  }
  return entries;
}

function pick(file: ImageFile, entries: RegionEntry[], guid: string, name: string): Region {
  const found = entries.filter((e) => e.guid === guid);
  const entry = found[0];
  if (!entry || found.length > 1) {
    throw new ImageFormatError(
      file.path,
      `the VHDX region table has ${found.length} ${name} regions, not one`,
    );
  }
  const region = {
    offset: toSafeNumber(entry.rawOffset, file.path, `the ${name} region offset`),
    length: entry.length,
  };
  // The spec aligns regions to 1 MiB and keeps them clear of the 1 MiB header area.
  if (region.offset < MIB || region.offset % MIB !== 0 || region.length === 0) {
    throw new ImageFormatError(
      file.path,
      `the VHDX ${name} region has an invalid position (${region.offset})`,
    );
  }
  file.check(region.offset, region.length, `the VHDX ${name} region`);
  return { offset: region.offset, length: region.length };
}

export async function readRegions(file: ImageFile): Promise<Regions> {
  let entries: RegionEntry[] | undefined;
  for (const offset of TABLE_OFFSETS) {
    if (offset + TABLE_SIZE > file.size) continue;
    entries = parseTable(await file.read(offset, TABLE_SIZE, "the VHDX region table"));
    if (entries) break;
  }
  if (!entries) {
    throw new ImageFormatError(
      file.path,
      file.size < TABLE_OFFSETS[0] + TABLE_SIZE
        ? `is truncated: it ends at ${file.size} bytes, before its region table`
        : "both copies of the VHDX region table are damaged (bad signature or checksum)",
      "The file is truncated or corrupt; copy it again from the original.",
    );
  }
  const unknown = entries.find((e) => e.required && e.guid !== REGION_BAT && e.guid !== REGION_METADATA);
  if (unknown) {
    throw new ImageFormatError(
      file.path,
      `needs region ${unknown.guid}, which this version does not know`,
      "The file uses a newer VHDX feature; convert it with Hyper-V or qemu-img first.",
    );
  }
  return {
    bat: pick(file, entries, REGION_BAT, "BAT"),
    metadata: pick(file, entries, REGION_METADATA, "metadata"),
  };
}
