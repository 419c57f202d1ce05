/**
 * The VHD footer: 512 bytes at the end of every VHD file, repeated at the start of dynamic and
 * differencing ones so that a file whose end was lost or damaged can still be read.
 *
 * The disk's size is the footer's "current size", as Hyper-V and the spec define it. qemu
 * instead takes the size from the CHS geometry (cylinders × heads × sectors × 512) for images
 * whose creator is Virtual PC ("vpc ") or an older qemu ("qemu"), because Virtual PC showed
 * guests only the geometry's size. For images qemu makes (creator "qemu", size rounded up to a
 * geometry; or "qem2" with force_size) both sizes are equal. For a Virtual PC image whose
 * current size exceeds its geometry, this reader gives a few more bytes than
 * `qemu-img convert`; the guest never wrote them, so they read as zeros and the data agrees.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { u64be } from "../shared/binary.js";
import { vhdChecksum } from "./checksum.js";

export const FOOTER_SIZE = 512;
export const COOKIE = "conectix";
/** Larger than any VHD tool writes (the format's own limit is about 2 TiB). */
const MAX_SIZE = 64 * 2 ** 40;

export type VhdType = "fixed" | "dynamic" | "differencing";
const TYPES: Record<number, VhdType | undefined> = { 2: "fixed", 3: "dynamic", 4: "differencing" };

export interface VhdFooter {
  type: VhdType;
  /** Where the dynamic header is (dynamic and differencing disks). */
  dataOffset: number;
  currentSize: number;
  uniqueId: Buffer;
}

function hasCookie(data: Buffer): boolean {
  return data.length >= FOOTER_SIZE && data.toString("latin1", 0, 8) === COOKIE;
}

function checksumOk(data: Buffer): boolean {
  return data.readUInt32BE(64) === vhdChecksum(data, 64);
}

function parse(file: ImageFile, data: Buffer): VhdFooter {
  const typeCode = data.readUInt32BE(60);
  const type = TYPES[typeCode];
  if (!type) {
    throw new ImageFormatError(
      file.path,
      `has VHD disk type ${typeCode}; only fixed (2), dynamic (3) and differencing (4) exist`,
    );
  }
  const currentSize = u64be(data, 48, file.path, "the VHD current size");
  if (currentSize > MAX_SIZE) {
    throw new ImageFormatError(
      file.path,
      `claims a ${currentSize}-byte disk, far beyond the VHD limit of 2 TiB`,
    );
  }
  // A fixed disk's data offset is all ones (no dynamic header): it must not fail the 2^53 check.
  const dataOffset = type === "fixed" ? 0 : u64be(data, 16, file.path, "the VHD dynamic header offset");
  return {
    type,
    dataOffset,
    currentSize,
    uniqueId: Buffer.from(data.subarray(68, 84)),
  };
}

/** The footer at the end, or its copy at the start when the end is damaged (dynamic disks). */
export async function readFooter(file: ImageFile): Promise<VhdFooter> {
  if (file.size < FOOTER_SIZE) throw new ImageFormatError(file.path, "is too short to be a VHD file");
  const tail = await file.read(file.size - FOOTER_SIZE, FOOTER_SIZE, "the VHD footer");
  if (hasCookie(tail) && checksumOk(tail)) return parse(file, tail);
  const head = await file.read(0, FOOTER_SIZE, "the VHD footer copy");
  if (hasCookie(head) && checksumOk(head)) {
    const copy = parse(file, head);
    if (copy.type !== "fixed") return copy;
  }
  if (hasCookie(tail) || hasCookie(head)) {
    throw new ImageFormatError(
      file.path,
      "has a damaged VHD footer (bad checksum) and no intact copy",
      "The file is truncated or corrupt; copy it again from the original.",
    );
  }
  throw new ImageFormatError(file.path, `is not a VHD file (no "${COOKIE}" footer)`);
}
