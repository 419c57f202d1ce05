/**
 * What a backup reads from. A source has one or more disks; each disk is a byte array that can be
 * read at any offset. Connectors (image files now, VM folders and vSphere later) implement this.
 */
import type { ByteRange } from "../engines/changed-ranges.js";
import type { Extent } from "../formats/disk-image.js";
import type { Consistency, DiskOrigin, RestorePoint, SourceInfo } from "../repository/restore-point.js";

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
  /** Recorded in the restore point (vSphere: device key and CBT change id). */
  origin?: DiskOrigin;
  /**
   * What changed on this disk between `origin` (an earlier state of it, recorded by an interrupted
   * run) and the state read now: lets a resume keep finished segments nothing changed in.
   * Undefined when the source cannot tell (CBT reset, another disk); it says why in a note.
   */
  changedSince?(origin: DiskOrigin, note: (text: string) => void): Promise<ByteRange[] | undefined>;
}

export interface BackupSource {
  info: SourceInfo;
  consistency: Consistency;
  /** Identifies this exact state of the source, so a resume never mixes two states. */
  fingerprint: string;
  disks: DiskSource[];
  /** Configuration files to keep beside the disks (a .vmx, say). */
  configFiles: Record<string, Buffer>;
  /**
   * Called once the parent restore point is chosen (null for a full backup), before any disk is
   * read: a source with changed-block tracking sets each disk's changedRanges (or, for a full
   * backup, its allocation) here. Leaving changedRanges unset makes the backup read everything
   * and store only the chunks the repository lacks.
   */
  useParent?(parent: RestorePoint | null, note: (text: string) => void): Promise<void>;
  close(): Promise<void>;
}
