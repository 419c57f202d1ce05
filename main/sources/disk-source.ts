/**
 * What a backup reads from. A source has one or more disks; each disk is a byte array that can be
 * read at any offset. Connectors (image files now, VM folders and vSphere later) implement this.
 */
import type { ByteRange } from "../engines/changed-ranges.js";
import type { Extent } from "../formats/disk-image.js";
import type { Consistency, SourceInfo } from "../repository/restore-point.js";

export interface DiskSource {
  name: string;
  size: number;
  /** Fills `target` with the disk's bytes from `offset` on (the backup reuses its buffers). */
  read(offset: number, target: Buffer): Promise<void>;
  /**
   * Which parts hold data, when the source knows without reading (a sparse file's holes, unallocated
   * clusters of an image): chunks that lie wholly in "zero" extents are recorded as holes unread.
   */
  allocation?: () => AsyncIterable<Extent>;
  /** Byte ranges changed since the parent restore point, when the source knows them (CBT). */
  changedRanges?: ByteRange[];
}

export interface BackupSource {
  info: SourceInfo;
  consistency: Consistency;
  /** Identifies this exact state of the source, so a resume never mixes two states. */
  fingerprint: string;
  disks: DiskSource[];
  /** Configuration files to keep beside the disks (a .vmx, say). */
  configFiles: Record<string, Buffer>;
  close(): Promise<void>;
}
