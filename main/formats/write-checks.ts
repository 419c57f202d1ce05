/**
 * The promises every writer relies on, checked once here: writes arrive in increasing offset
 * order inside the virtual disk, and sector-based formats get a whole number of sectors.
 */
import { SnapferryError } from "../common/errors.js";
import type { WriteFormat } from "./disk-image.js";

export const SECTOR = 512;

/**
 * Formats that count the disk in 512-byte sectors (VMDK, VHDX) or that qemu reads that way
 * (qcow2) would silently drop a partial last sector, so such a size is refused up front.
 */
export function requireWholeSectors(format: WriteFormat, virtualSize: number): void {
  if (!Number.isSafeInteger(virtualSize) || virtualSize < 0) {
    throw new SnapferryError("internal", `invalid virtual disk size ${virtualSize}`);
  }
  if (virtualSize % SECTOR !== 0) {
    throw new SnapferryError(
      "target",
      `a ${format} image must hold a whole number of 512-byte sectors, and this disk is ${virtualSize} bytes`,
      "Write it as a raw image instead.",
    );
  }
}

/** VMDK and VHDX cannot describe a disk of no sectors; qemu and VMware refuse to open one. */
export function requireNonEmpty(format: WriteFormat, virtualSize: number): void {
  if (virtualSize === 0) {
    throw new SnapferryError(
      "target",
      `an empty (0-byte) disk cannot be written as ${format}`,
      "Write it as a raw or qcow2 image instead.",
    );
  }
}

/** Tracks how far the disk has been written, so a writer never has to handle a write going back. */
export class WriteCursor {
  private next = 0;

  constructor(private readonly virtualSize: number) {}

  /** Checks that [offset, offset + length) lies ahead of every earlier write and inside the disk. */
  advance(offset: number, length: number): void {
    if (!Number.isSafeInteger(offset) || offset < this.next) {
      throw new SnapferryError(
        "internal",
        `disk image writes must come in increasing offset order: got ${offset} after writing up to ${this.next}`,
      );
    }
    if (offset + length > this.virtualSize) {
      throw new SnapferryError(
        "internal",
        `a write of ${length} bytes at ${offset} goes past the end of the ${this.virtualSize}-byte disk`,
      );
    }
    this.next = offset + length;
  }
}
