/**
 * The start of a VHDX file: the "vhdxfile" identifier and the two 4 KiB headers at 64 KiB and
 * 128 KiB. Writers update the headers alternately, so one may be stale or torn: the current
 * header is the valid one (signature and CRC-32C) with the highest sequence number.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { crc32cWithoutField } from "./crc32c.js";
import { readGuid } from "./guid.js";

export const FILE_SIGNATURE = "vhdxfile";
const HEADER_OFFSETS = [64 * 1024, 128 * 1024] as const;
const HEADER_SIZE = 4096;

export interface VhdxHeader {
  sequenceNumber: bigint;
  dataWriteGuid: string;
  logGuid: string;
  version: number;
  logLength: number;
  logOffset: number;
}

function parseHeader(data: Buffer): VhdxHeader | undefined {
  if (data.toString("latin1", 0, 4) !== "head") return undefined;
  if (data.readUInt32LE(4) !== crc32cWithoutField(data, 4)) return undefined;
  return {
    sequenceNumber: data.readBigUInt64LE(8),
    dataWriteGuid: readGuid(data, 32),
    logGuid: readGuid(data, 48),
    version: data.readUInt16LE(66),
    logLength: data.readUInt32LE(68),
    // Only used when the log is active, and then checked against the file's size.
    logOffset: Number(data.readBigUInt64LE(72)),
  };
}

/** Reads the file identifier and returns the current header. */
export async function readCurrentHeader(file: ImageFile): Promise<VhdxHeader> {
  if (file.size < 8) throw new ImageFormatError(file.path, "is too short to be a VHDX file");
  const signature = (await file.read(0, 8, "the file identifier")).toString("latin1");
  if (signature !== FILE_SIGNATURE) {
    throw new ImageFormatError(file.path, `is not a VHDX file (it does not start with "${FILE_SIGNATURE}")`);
  }
  const headers: VhdxHeader[] = [];
  for (const offset of HEADER_OFFSETS) {
    // A truncated file may hold the first header but not the second: use what is there.
    if (offset + HEADER_SIZE > file.size) continue;
    const header = parseHeader(await file.read(offset, HEADER_SIZE, "a VHDX header"));
    if (header) headers.push(header);
  }
  const current = headers.reduce<VhdxHeader | undefined>(
    (best, h) => (!best || h.sequenceNumber > best.sequenceNumber ? h : best),
    undefined,
  );
  if (!current) {
    throw new ImageFormatError(
      file.path,
      file.size < HEADER_OFFSETS[1] + HEADER_SIZE
        ? `is truncated: it ends at ${file.size} bytes, before its VHDX headers`
        : "both VHDX headers are damaged (bad signature or checksum)",
      "The file is truncated or corrupt; copy it again from the original.",
    );
  }
  if (current.version !== 1) {
    throw new ImageFormatError(
      file.path,
      `is VHDX version ${current.version}; only version 1 is supported`,
      "Convert it with the tool that made it (e.g. Hyper-V's Convert-VHD) or qemu-img.",
    );
  }
  return current;
}
