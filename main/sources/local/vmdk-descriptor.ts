/**
 * Reads only the descriptor of a VMDK: the text that says what kind of disk it is, where its data
 * (extents) lives and which disk it is a delta of. A descriptor is either a small text file or
 * embedded in a sparse "KDMV" file, at the sector offset and size its header gives. The disk data
 * itself is read by the VMDK reader in main/formats/.
 */
import { promises as fs } from "node:fs";
import { ImageFormatError } from "../../formats/image-error.js";
import { openForReading } from "../../formats/shared/image-file.js";
import {
  decodeDescriptor,
  formatCid,
  looksLikeDescriptor,
  parseDescriptor,
} from "../../formats/vmdk/descriptor.js";

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
const NO_PARENT_CID = "ffffffff";

/** The formats reader's parser, reshaped into the fields the chain walker compares and prints. */
export function parseVmdkDescriptor(text: string, file: string, embedded: boolean): VmdkDescriptor {
  const parsed = parseDescriptor(text, file);
  return {
    file,
    embedded,
    createType: parsed.createType,
    cid: parsed.cid === undefined ? undefined : formatCid(parsed.cid),
    // The parser reports "no parent" (ffffffff) as undefined; the chain walker treats both alike.
    parentCid: parsed.parentCid === undefined ? NO_PARENT_CID : formatCid(parsed.parentCid),
    parentFileNameHint: parsed.parentFileNameHint,
    extents: parsed.extents.map((e) => ({
      access: e.access,
      sectors: e.sectors,
      type: e.type,
      fileName: e.file,
    })),
  };
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
  const handle = await openForReading(file, {
    noun: "disk ",
    accessHint: "Run as a user that may read the VM's files.",
    checkHint: "Check the VM's folder.",
  });
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
    if (!looksLikeDescriptor(head)) {
      throw new ImageFormatError(
        file,
        "is not a VMDK disk descriptor (no createType and no extent)",
        "Give the disk's descriptor .vmdk (the small one), not one of its data files (-flat, -s001, …).",
      );
    }
    return parseVmdkDescriptor(decodeDescriptor(head), file, false);
  } finally {
    await handle.close();
  }
};
