/**
 * Resuming a backup whose source moved on. A vSphere resume cannot read the interrupted run's
 * snapshot again (it was removed), so it reads a new one; the finished segments hold the disk as
 * the OLD snapshot had it, and reusing them blindly would mix two states in one restore point.
 *
 * Changed-block tracking tells which bytes differ between the two: a finished segment that no
 * changed area touches holds exactly what the new snapshot holds and is kept; every other segment
 * is read again. Kept segments need not form a prefix: the engine walks segments in order and
 * takes a kept one where it stands, so the checkpoint it writes is a prefix again. Whatever the
 * source cannot vouch for (no origin recorded, a resized disk, CBT reset) is read again.
 */
import type { Checkpoint, CheckpointDisk } from "../repository/checkpoint.js";
import { SEGMENT_CHUNKS } from "../repository/file-formats.js";
import type { BackupSource, DiskSource } from "../sources/disk-source.js";
import { normalizeRanges, type ByteRange } from "./changed-ranges.js";

export interface ResumePlan {
  /** The checkpoint restarted for the new state: its fingerprint and origins, no segments done. */
  checkpoint: Checkpoint;
  /** Per disk, by segment number: the finished segments still valid (their chunk-list ids). */
  stillValid: (string | undefined)[][];
}

/** True when the source can say what changed since an interrupted run's state, disk by disk. */
export function canRevalidate(source: BackupSource): boolean {
  return source.disks.length > 0 && source.disks.every((d) => d.changedSince !== undefined);
}

export async function revalidateCheckpoint(
  checkpoint: Checkpoint,
  source: BackupSource,
  chunkSize: number,
  note: (text: string) => void,
): Promise<ResumePlan> {
  const stillValid: (string | undefined)[][] = [];
  for (const [i, disk] of source.disks.entries()) {
    const before = checkpoint.disks[i];
    stillValid.push(before ? await validSegments(before, disk, i, chunkSize, note) : []);
  }
  return {
    checkpoint: {
      ...checkpoint,
      fingerprint: source.fingerprint,
      source: source.info,
      // Kept segments equal the new state byte for byte, so the restore point is of the new snapshot.
      consistency: source.consistency,
      disks: freshCheckpointDisks(source),
    },
    stillValid,
  };
}

async function validSegments(
  before: CheckpointDisk,
  disk: DiskSource,
  index: number,
  chunkSize: number,
  note: (text: string) => void,
): Promise<(string | undefined)[]> {
  const finished = before.segments.length;
  if (finished === 0) return [];
  const label = `disk ${index} (${disk.name})`;
  const redo = (why: string): [] => {
    note(`${label}: ${why}; its ${finished} finished segments are read again`);
    return [];
  };
  if (before.size !== disk.size)
    return redo(`it was resized since the interrupted backup (${before.size} to ${disk.size} bytes)`);
  if (!before.origin || !disk.changedSince)
    return redo("the interrupted backup recorded no change-tracking state for it");
  const changed = await disk.changedSince(before.origin, note);
  if (!changed) return [];
  const touched = touchedSegments(normalizeRanges(changed), SEGMENT_CHUNKS * chunkSize);
  const kept = before.segments.map((id, seg) => (touched.has(seg) ? undefined : id));
  const keptCount = kept.filter((id) => id !== undefined).length;
  note(
    `${label}: ${keptCount} of ${finished} finished segments are unchanged since the interrupted backup and kept; the rest are read again`,
  );
  return kept;
}

/** The segment numbers any range touches: one pass over the ranges, whatever the disk's size. */
function touchedSegments(ranges: readonly ByteRange[], segmentBytes: number): Set<number> {
  const touched = new Set<number>();
  for (const r of ranges) {
    const last = Math.floor((r.offset + r.length - 1) / segmentBytes);
    for (let seg = Math.floor(r.offset / segmentBytes); seg <= last; seg++) touched.add(seg);
  }
  return touched;
}

/**
 * A checkpoint's disks before any segment is done. Each carries its origin, so that a resume that
 * reads a newer state can tell which finished segments still hold.
 */
export function freshCheckpointDisks(source: BackupSource): CheckpointDisk[] {
  return source.disks.map((d, i) => ({
    index: i,
    size: d.size,
    segments: [],
    ...(d.origin ? { origin: d.origin } : {}),
  }));
}
