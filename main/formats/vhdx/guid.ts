/**
 * VHDX identifies regions, metadata items and parent types by Microsoft GUIDs, whose first three
 * fields are stored little-endian. They are compared here in their usual text form; the reader,
 * the writer and the test fixtures all encode and decode them here so the byte order is one rule.
 */
import { randomBytes } from "node:crypto";
import { SnapferryError } from "../../common/errors.js";

/** The GUID stored at `offset`, as upper-case "XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX". */
export function readGuid(buffer: Buffer, offset: number): string {
  const hex = (start: number, end: number) => buffer.subarray(offset + start, offset + end).toString("hex");
  const d1 = buffer.readUInt32LE(offset).toString(16).padStart(8, "0");
  const d2 = buffer
    .readUInt16LE(offset + 4)
    .toString(16)
    .padStart(4, "0");
  const d3 = buffer
    .readUInt16LE(offset + 6)
    .toString(16)
    .padStart(4, "0");
  return `${d1}-${d2}-${d3}-${hex(8, 10)}-${hex(10, 16)}`.toUpperCase();
}

/** Encodes a GUID written as text ("2DC27766-F623-…", braces allowed) in the on-disk byte order. */
export function guidBytes(text: string): Buffer {
  const raw = Buffer.from(text.replace(/[{}-]/g, ""), "hex");
  if (raw.length !== 16) throw new SnapferryError("internal", `not a GUID: ${text}`);
  const out = Buffer.from(raw);
  out.writeUInt32LE(raw.readUInt32BE(0), 0);
  out.writeUInt16LE(raw.readUInt16BE(4), 4);
  out.writeUInt16LE(raw.readUInt16BE(6), 6);
  return out;
}

/** A random (version 4) GUID, already in the on-disk byte order. */
export function randomGuid(): Buffer {
  const b = randomBytes(16);
  // Version and variant bits sit in the fields' logical order; byte 7 is the high byte of field 3.
  b[7] = ((b[7] ?? 0) & 0x0f) | 0x40;
  b[8] = ((b[8] ?? 0) & 0x3f) | 0x80;
  return b;
}

/** "{xxxxxxxx-…}" or "xxxxxxxx-…", any case, as readGuid prints it; undefined if not a GUID. */
export function normalizeGuid(text: string): string | undefined {
  const bare = text
    .trim()
    .replace(/^\{(.*)\}$/, "$1")
    .toUpperCase();
  return /^[0-9A-F]{8}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{4}-[0-9A-F]{12}$/.test(bare) ? bare : undefined;
}

export const ZERO_GUID = "00000000-0000-0000-0000-000000000000";

export const REGION_BAT = "2DC27766-F623-4200-9D64-115E9BFD4A08";
export const REGION_METADATA = "8B7CA206-4790-4B9A-B8FE-575F050F886E";

export const ITEM_FILE_PARAMETERS = "CAA16737-FA36-4D43-B3B6-33F0AA44E76B";
export const ITEM_VIRTUAL_DISK_SIZE = "2FA54224-CD1B-4876-B211-5DBED83BF4B8";
export const ITEM_PAGE83_DATA = "BECA12AB-B2E6-4523-93EF-C309E000C746";
export const ITEM_LOGICAL_SECTOR_SIZE = "8141BF1D-A96F-4709-BA47-F233A8FAAB5F";
export const ITEM_PHYSICAL_SECTOR_SIZE = "CDA348C7-445D-4471-9CC9-E9885251C556";
export const ITEM_PARENT_LOCATOR = "A8D35F2D-B30B-454D-ABF7-D3D84834AB0C";

/** The only parent locator type the spec defines: the parent is itself a VHDX file. */
export const PARENT_TYPE_VHDX = "B04AEFB7-D19E-4A81-B789-25B8E9445913";
