/**
 * The one interface every disk image format implements, for reading (backup, inspect, convert)
 * and for writing (restore to a format, convert). Formats live in their own folders (vmdk/,
 * qcow2/, vhdx/, vhd/) or files (raw.ts) and are found by `openDiskImage` (open-image.ts).
 *
 * Offsets and sizes are byte counts in the guest's view of the disk (virtual offsets).
 */

/** A run of the virtual disk: `data` may hold non-zero bytes; `zero` reads as zeros. */
export interface Extent {
  offset: number;
  length: number;
  kind: "data" | "zero";
}

/** What `inspect` prints: the format, its variant and, for chains, every layer. */
export interface ImageLayer {
  path: string;
  format: string;
  /** e.g. "monolithicSparse", "streamOptimized", "v3", "dynamic". */
  variant: string;
  virtualSize: number;
  /** Bytes the file takes (its size on disk, not counting holes). */
  fileSize: number;
}

export interface ImageInfo {
  format: string;
  variant: string;
  virtualSize: number;
  /** Top first: the image opened, then its parent, grandparent… */
  chain: ImageLayer[];
}

export interface DiskImageReader {
  readonly info: ImageInfo;
  readonly virtualSize: number;
  /**
   * The extents covering [0, virtualSize) in order, without reading data: holes and zero
   * clusters/grains are "zero" so a backup skips them. Adjacent extents of one kind may or may
   * not be merged.
   */
  allocation(): AsyncIterable<Extent>;
  /** Fills `target` with the virtual disk's bytes from `offset` (zeros where unallocated). */
  read(offset: number, target: Buffer): Promise<void>;
  close(): Promise<void>;
}

export type WriteFormat = "raw" | "vmdk" | "vmdk-stream" | "vmdk-flat" | "qcow2" | "vhdx";

/**
 * A writer receives the disk in increasing offset order: `write` for data, `skip` implied by
 * the gaps between writes (holes stay holes). `finish` makes the file complete and durable;
 * until then the file is not at its final path.
 */
export interface DiskImageWriter {
  readonly format: WriteFormat;
  write(offset: number, data: Buffer): Promise<void>;
  finish(): Promise<void>;
  abort(): Promise<void>;
}
