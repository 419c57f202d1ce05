/**
 * Recognising a disk image's format from its first and last bytes, never from its name (a .img
 * may be qcow2, a .vhd may be a VHDX). Kept apart from the readers, which are loaded only for the
 * format found: loading every reader costs a process that reads one image tens of milliseconds.
 */
import { QCOW2_MAGIC } from "./qcow2/header.js";
import { COOKIE, FOOTER_SIZE } from "./vhd/footer.js";
import { FILE_SIGNATURE } from "./vhdx/headers.js";
import { looksLikeDescriptor } from "./vmdk/descriptor.js";
import { isSeSparseHeader } from "./vmdk/disk-types.js";

/** True when the file's first bytes are the qcow magic (the version is checked on open). */
export function looksLikeQcow2(head: Buffer): boolean {
  return head.length >= 4 && head.readUInt32BE(0) === QCOW2_MAGIC;
}

export function looksLikeVhdx(head: Buffer): boolean {
  return head.length >= 8 && head.toString("latin1", 0, 8) === FILE_SIGNATURE;
}

/** For format detection from the first bytes of a file (4 KiB is plenty; 512 is enough). */
export function looksLikeVmdk(head: Buffer): boolean {
  const magic = head.toString("latin1", 0, 4);
  return magic === "KDMV" || magic === "COWD" || isSeSparseHeader(head) || looksLikeDescriptor(head);
}

/**
 * A VHD starts with the footer copy ("conectix") when dynamic or differencing, and always ends
 * with the footer: `tail` is the file's last bytes (at least 512).
 */
export function looksLikeVhd(head: Buffer, tail: Buffer): boolean {
  const cookieAt = (b: Buffer, at: number) =>
    at >= 0 && b.length >= at + 8 && b.toString("latin1", at, at + 8) === COOKIE;
  return cookieAt(head, 0) || cookieAt(tail, tail.length - FOOTER_SIZE);
}
