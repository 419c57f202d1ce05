/**
 * Which VMDK disk types and extent types this reader handles, and the message for each it does
 * not: a user holding an ESXi snapshot delta or a raw device mapping needs to know what to do
 * instead, not that "the format is invalid".
 */
import { ImageFormatError } from "../image-error.js";

const READABLE_CREATE_TYPES = new Set(
  [
    "monolithicSparse",
    "monolithicFlat",
    "twoGbMaxExtentSparse",
    "2GbMaxExtentSparse",
    "twoGbMaxExtentFlat",
    "2GbMaxExtentFlat",
    "streamOptimized",
    "vmfs",
    "vmfsThin",
    "vmfsPreallocated",
    "vmfsEagerZeroedThick",
    "vmfsThick",
    "vmfsSparse",
    "custom",
  ].map((t) => t.toLowerCase()),
);

const DEVICE_CREATE_TYPES = new Set(
  [
    "vmfsRaw",
    "vmfsRawDeviceMap",
    "vmfsRDM",
    "vmfsPassthroughRawDeviceMap",
    "vmfsRDMP",
    "fullDevice",
    "partitionedDevice",
  ].map((t) => t.toLowerCase()),
);

export function seSparseError(file: string): ImageFormatError {
  return new ImageFormatError(
    file,
    "seSparse (ESXi 6.5+ snapshot delta) is not supported yet; consolidate the snapshot or export the disk",
    "Delete or consolidate the snapshot in vSphere, or export the VM (OVF), and back up the result.",
  );
}

function deviceError(file: string, what: string): ImageFormatError {
  return new ImageFormatError(
    file,
    `${what} maps a physical disk or LUN, not a file, so there is no image to read`,
    "Back up the data from inside the guest or from the storage array.",
  );
}

export function checkCreateType(createType: string, file: string): void {
  const type = createType.toLowerCase();
  if (READABLE_CREATE_TYPES.has(type)) return;
  if (type === "sesparse") throw seSparseError(file);
  if (type === "vsansparse") {
    throw new ImageFormatError(
      file,
      "vsanSparse (vSAN snapshot delta) is not supported; consolidate the snapshot or export the disk",
      "Delete or consolidate the snapshot in vSphere, or export the VM (OVF), and back up the result.",
    );
  }
  if (DEVICE_CREATE_TYPES.has(type)) throw deviceError(file, `this disk (createType "${createType}")`);
  throw new ImageFormatError(
    file,
    `createType "${createType}" is not a VMDK disk type this version can read`,
    "Convert the disk with VMware's tools (vmware-vdiskmanager or ovftool) to a monolithic or stream-optimized VMDK.",
  );
}

export type ExtentKind = "flat" | "sparse" | "zero";

/** How an extent line's data is stored; sparse extents are told apart by their file's magic. */
export function extentKind(type: string, file: string, lineNumber: number): ExtentKind {
  switch (type) {
    case "FLAT":
    case "VMFS":
      return "flat";
    case "SPARSE":
    case "VMFSSPARSE":
      return "sparse";
    case "ZERO":
      return "zero";
    case "SESPARSE":
      throw seSparseError(file);
    case "VMFSRDM":
    case "VMFSRAW":
    case "VMFSRDMP":
      throw deviceError(file, `extent ${lineNumber} (${type})`);
    default:
      throw new ImageFormatError(
        file,
        `extent ${lineNumber} has type ${type}, which is not a known VMDK extent type`,
      );
  }
}

/** seSparse files start with a 64-bit constant header magic. */
const SESPARSE_MAGIC = 0xcafebaben;

export function isSeSparseHeader(head: Buffer): boolean {
  return head.length >= 8 && head.readBigUInt64LE(0) === SESPARSE_MAGIC;
}
