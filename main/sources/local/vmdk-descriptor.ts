/**
 * Reads only the descriptor of a VMDK: the text that says what kind of disk it is, where its data
 * (extents) lives and which disk it is a delta of. A descriptor is either a small text file or
 * embedded in a sparse "KDMV" file, at the sector offset and size its header gives. The disk data
 * itself is read by the VMDK reader in main/formats/.
 */
import { promises as fs } from "node:fs";
import { TextDecoder } from "node:util";
import { errnoCode, SnapferryError } from "../../common/errors.js";
import { ImageFormatError } from "../../formats/image-error.js";

export interface VmdkExtent {
  access: string;
  sectors: number;
  /** SPARSE, FLAT, ZERO, VMFS, VMFSSPARSE, SESPARSE, … */
  type: string;
  /** The extent's file as the descriptor spells it (none for ZERO extents). */
  fileName: string | undefined;
}

export interface VmdkDescriptor {
  /** Where the descriptor was read from. */
  file: string;
  /** True when the descriptor is embedded in a sparse file (the file holds the data too). */
  embedded: boolean;
  createType: string | undefined;
  cid: string | undefined;
  /** "ffffffff" for a disk without parent. */
  parentCid: string | undefined;
  parentFileNameHint: string | undefined;
  extents: VmdkExtent[];
}

/** How the chain reader gets descriptors; tests and other formats' readers can substitute theirs. */
export type DescriptorReader = (file: string) => Promise<VmdkDescriptor>;

const SECTOR = 512;
const KDMV = 0x564d444b;
const COWD = 0x44574f43;
/** Text descriptors are a few hundred bytes; anything that needs more than this is not one. */
const MAX_DESCRIPTOR_BYTES = 1024 * 1024;
const EXTENT_LINE = /^(RW|RDONLY|NOACCESS)\s+(\d+)\s+([A-Za-z]+)(?:\s+"([^"]*)")?/i;

function unquote(value: string): string {
  const v = value.trim();
  return v.length >= 2 && v.startsWith('"') && v.endsWith('"') ? v.slice(1, -1) : v;
}

export function parseVmdkDescriptor(text: string, file: string, embedded: boolean): VmdkDescriptor {
  const values = new Map<string, string>();
  const extents: VmdkExtent[] = [];
  for (const rawLine of text.split(/\r?\n/)) {
    const line = rawLine.trim();
    if (line === "" || line.startsWith("#")) continue;
    const extent = EXTENT_LINE.exec(line);
    if (extent) {
      extents.push({
        access: (extent[1] ?? "").toUpperCase(),
        sectors: Number(extent[2]),
        type: (extent[3] ?? "").toUpperCase(),
        fileName: extent[4],
      });
      continue;
    }
    const eq = line.indexOf("=");
    if (eq > 0) values.set(line.slice(0, eq).trim().toLowerCase(), unquote(line.slice(eq + 1)));
  }
  if (!values.has("createtype") && extents.length === 0) {
    throw new ImageFormatError(
      file,
      "is not a VMDK disk descriptor (no createType and no extent)",
      "Give the disk's descriptor .vmdk (the small one), not one of its data files (-flat, -s001, …).",
    );
  }
  return {
    file,
    embedded,
    createType: values.get("createtype"),
    cid: values.get("cid")?.toLowerCase(),
    parentCid: values.get("parentcid")?.toLowerCase(),
    parentFileNameHint: values.get("parentfilenamehint"),
    extents,
  };
}

/** Decodes descriptor bytes, honouring the `encoding=` line (old Windows-made disks use cp1252). */
function decodeDescriptor(bytes: Buffer): string {
  const nul = bytes.indexOf(0);
  const text = nul < 0 ? bytes : bytes.subarray(0, nul);
  const label = /^\s*encoding\s*=\s*"([-\w]+)"/im.exec(text.toString("latin1"))?.[1] ?? "utf-8";
  try {
    return new TextDecoder(label).decode(text);
  } catch {
    return text.toString("utf8");
  }
}

async function readAt(handle: fs.FileHandle, offset: number, length: number): Promise<Buffer> {
  const buf = Buffer.alloc(length);
  let done = 0;
  while (done < length) {
    const { bytesRead } = await handle.read(buf, done, length - done, offset + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  return buf.subarray(0, done);
}

async function embeddedDescriptor(handle: fs.FileHandle, file: string, header: Buffer): Promise<string> {
  if (header.length < 44) throw new ImageFormatError(file, "sparse header is truncated");
  const offset = Number(header.readBigUInt64LE(28)) * SECTOR;
  const size = Number(header.readBigUInt64LE(36)) * SECTOR;
  if (offset === 0 || size === 0) {
    throw new ImageFormatError(
      file,
      "is a sparse extent without a descriptor of its own",
      "Give the disk's descriptor .vmdk (the small text file that names this extent).",
    );
  }
  const { size: fileSize } = await handle.stat();
  if (size > MAX_DESCRIPTOR_BYTES || offset + size > fileSize) {
    throw new ImageFormatError(file, `embedded descriptor (${size} bytes at ${offset}) is out of bounds`);
  }
  return decodeDescriptor(await readAt(handle, offset, size));
}

export const readVmdkDescriptor: DescriptorReader = async (file) => {
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (err) {
    const code = errnoCode(err);
    throw new SnapferryError(
      "source",
      code === "ENOENT" ? `disk ${file} does not exist` : `cannot open disk ${file} (${code ?? String(err)})`,
      code === "EACCES" ? "Run as a user that may read the VM's files." : "Check the VM's folder.",
    );
  }
  try {
    const head = await readAt(handle, 0, MAX_DESCRIPTOR_BYTES);
    const magic = head.length >= 4 ? head.readUInt32LE(0) : 0;
    if (magic === KDMV) {
      return parseVmdkDescriptor(await embeddedDescriptor(handle, file, head), file, true);
    }
    if (magic === COWD) {
      throw new ImageFormatError(
        file,
        "is an ESX sparse extent (COWD) without a descriptor of its own",
        "Give the disk's descriptor .vmdk (the small text file that names this extent).",
      );
    }
    return parseVmdkDescriptor(decodeDescriptor(head), file, false);
  } finally {
    await handle.close();
  }
};
