/**
 * The VMDK text descriptor: a small key=value file (a separate .vmdk, or embedded in a sparse
 * extent) that names the disk type, the extent files that hold the data, the content id (CID) and,
 * for a snapshot delta, the parent's CID and file.
 */
import { TextDecoder } from "node:util";
import { ImageFormatError } from "../image-error.js";
import { MAX_CAPACITY_SECTORS, MAX_EXTENTS } from "./limits.js";

export type ExtentAccess = "RW" | "RDONLY" | "NOACCESS";

export interface ExtentLine {
  access: ExtentAccess;
  sectors: number;
  /** Upper case: FLAT, SPARSE, ZERO, VMFS, VMFSSPARSE, SESPARSE, VMFSRDM, VMFSRAW… */
  type: string;
  /** As written: relative to the descriptor's folder, or absolute. Absent for ZERO extents. */
  file: string | undefined;
  /** Where the extent's data starts in a flat file, in sectors. */
  offsetSectors: number;
}

export interface Geometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

export interface VmdkDescriptor {
  version: number;
  encoding: string;
  /** Content id, changed by VMware on the first write after each open; undefined if absent. */
  cid: number | undefined;
  /** The CID the parent had when this delta was created; undefined for a disk with no parent. */
  parentCid: number | undefined;
  createType: string;
  parentFileNameHint: string | undefined;
  extents: ExtentLine[];
  /** The disk database (ddb.* keys, lower-cased), e.g. ddb.uuid, ddb.virtualhwversion. */
  ddb: ReadonlyMap<string, string>;
  adapterType: string | undefined;
  geometry: Geometry | undefined;
}

const NO_PARENT = 0xffffffff;
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z0-9_]+)(?:\s+"([^"]*)")?(?:\s+(\d+))?/i;
const KEY_VALUE = /^([A-Za-z][\w.]*)\s*=\s*(.*)$/;
const SIGNATURE = "# disk descriptorfile";

/** The descriptor's text: up to the first NUL (embedded ones are padded), in its declared encoding. */
export function decodeDescriptor(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  const raw = nul === -1 ? bytes : bytes.subarray(0, nul);
  // [ \t] rather than \s: with the m flag, \s spans lines and a file of blank lines takes O(n²).
  const declared = /^[ \t]*encoding[ \t]*=[ \t]*"?([^"\r\n]*)"?/im.exec(raw.toString("latin1"))?.[1]?.trim();
  let decoder: TextDecoder;
  try {
    decoder = new TextDecoder(declared || "utf-8");
  } catch {
    // An encoding this Node build lacks only affects non-ASCII file names; UTF-8 is the default.
    decoder = new TextDecoder("utf-8");
  }
  return decoder.decode(raw);
}

/** True when `head` (the start of a file) is a text descriptor rather than binary data. */
export function looksLikeDescriptor(head: Buffer): boolean {
  const sample = head.subarray(0, 4096);
  // Text, possibly NUL-padded to a sector (qemu pads descriptor files), and nothing binary after.
  const nul = sample.indexOf(0);
  const textPart = nul === -1 ? sample : sample.subarray(0, nul);
  if (textPart.length === 0 || (nul !== -1 && sample.subarray(nul).some((b) => b !== 0))) return false;
  if (textPart.some((b) => b < 0x20 && b !== 0x09 && b !== 0x0a && b !== 0x0d)) return false;
  const text = textPart.toString("latin1").replace(/^\u00ef\u00bb\u00bf/, "");
  return text.trimStart().toLowerCase().startsWith(SIGNATURE) || /^[ \t]*createType[ \t]*=/im.test(text);
}

export function parseDescriptor(text: string, file: string): VmdkDescriptor {
  const values = new Map<string, string>();
  const ddb = new Map<string, string>();
  const extents: ExtentLine[] = [];
  for (const [index, raw] of text.split("\n").entries()) {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      if (extents.length >= MAX_EXTENTS) {
        throw new ImageFormatError(file, `the descriptor lists more than ${MAX_EXTENTS} extents`);
      }
      extents.push(parseExtent(extent, file, index + 1));
      continue;
    }
    const pair = KEY_VALUE.exec(line);
    const key = pair?.[1]?.toLowerCase();
    if (key === undefined) continue; // other lines (e.g. change tracking sections) are not needed
    const value = unquote(pair?.[2] ?? "");
    (key.startsWith("ddb.") ? ddb : values).set(key, value);
  }

  const createType = values.get("createtype");
  if (!createType) {
    throw new ImageFormatError(file, "the descriptor has no createType, so the disk type is unknown");
  }
  if (extents.length === 0) {
    throw new ImageFormatError(file, "the descriptor lists no extents (no data files)");
  }
  const version = Number(values.get("version") ?? "1");
  if (!Number.isInteger(version) || version < 1 || version > 3) {
    throw new ImageFormatError(
      file,
      `descriptor version ${values.get("version")} is not supported (known: 1–3)`,
    );
  }
  const cidText = values.get("cid");
  const parentCidText = values.get("parentcid");
  const cid = cidText === undefined ? undefined : parseCid(cidText, "CID", file);
  const parentCid = parentCidText === undefined ? undefined : parseCid(parentCidText, "parentCID", file);
  return {
    version,
    encoding: values.get("encoding") ?? "UTF-8",
    cid,
    parentCid: parentCid === NO_PARENT ? undefined : parentCid,
    createType,
    parentFileNameHint: values.get("parentfilenamehint") || undefined,
    extents,
    ddb,
    adapterType: ddb.get("ddb.adaptertype"),
    geometry: geometryOf(ddb),
  };
}

function parseExtent(match: RegExpExecArray, file: string, lineNumber: number): ExtentLine {
  const [, access = "", sectors = "", type = "", name, offset = "0"] = match;
  const sectorCount = Number(sectors);
  const offsetSectors = Number(offset);
  if (sectorCount > MAX_CAPACITY_SECTORS || offsetSectors > MAX_CAPACITY_SECTORS) {
    throw new ImageFormatError(
      file,
      `descriptor line ${lineNumber}: extent size or offset beyond any real disk`,
    );
  }
  const upperType = type.toUpperCase();
  if (upperType !== "ZERO" && !name) {
    throw new ImageFormatError(file, `descriptor line ${lineNumber}: a ${upperType} extent names no file`);
  }
  return {
    access: access.toUpperCase() as ExtentAccess,
    sectors: sectorCount,
    type: upperType,
    file: name,
    offsetSectors,
  };
}

function parseCid(text: string, field: string, file: string): number {
  if (!/^[0-9a-f]{1,8}$/i.test(text)) {
    throw new ImageFormatError(file, `${field} "${text}" is not a hexadecimal content id`);
  }
  return Number.parseInt(text, 16);
}

function geometryOf(ddb: ReadonlyMap<string, string>): Geometry | undefined {
  const cylinders = Number(ddb.get("ddb.geometry.cylinders"));
  const heads = Number(ddb.get("ddb.geometry.heads"));
  const sectors = Number(ddb.get("ddb.geometry.sectors"));
  if (![cylinders, heads, sectors].every((n) => Number.isSafeInteger(n) && n > 0)) return undefined;
  return { cylinders, heads, sectors };
}

function unquote(value: string): string {
  const trimmed = value.trim();
  return trimmed.length >= 2 && trimmed.startsWith('"') && trimmed.endsWith('"')
    ? trimmed.slice(1, -1)
    : trimmed;
}

/** The CID as VMware writes it, for messages. */
export function formatCid(cid: number | undefined): string {
  return cid === undefined ? "(none)" : cid.toString(16).padStart(8, "0");
}
