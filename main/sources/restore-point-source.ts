/**
 * A restore point of one repository as the source of a backup into another: how a backup copy is
 * made. Reading it goes through StoredDisk (every chunk verified on the way), holes stay holes
 * unread, and when the target already holds an earlier copy of the same machine, only the chunks
 * that differ from that copy's original are read: the changed ranges come from comparing the two
 * restore points' chunk lists in the source repository, the way CBT would tell a backup.
 */
import { StoredDisk } from "../engines/stored-disk.js";
import type { ByteRange } from "../engines/changed-ranges.js";
import type { Extent } from "../formats/disk-image.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { SEGMENT_CHUNKS } from "../repository/file-formats.js";
import type { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import type { BackupSource, DiskSource } from "./disk-source.js";

export interface RestorePointSourceOptions {
  repo: Repository;
  index: ChunkIndex;
  restorePoint: RestorePoint;
}

export function restorePointSource(options: RestorePointSourceOptions): BackupSource {
  const { repo, index, restorePoint: rp } = options;
  const stored = rp.disks.map((disk) => StoredDisk.open({ repo, index, restorePoint: rp, disk }));
  const disks: DiskSource[] = rp.disks.map((record, i) => {
    const disk = stored[i];
    if (!disk) throw new Error("unreachable: one stored disk per record");
    return storedDiskSource(record, disk);
  });
  return {
    info: rp.source,
    consistency: rp.consistency,
    fingerprint: `copy:${rp.id}`,
    disks,
    configFiles: Object.fromEntries(Object.entries(rp.config).map(([k, v]) => [k, Buffer.from(v, "base64")])),
    async useParent(parent, note) {
      if (!parent) return;
      const original = await findOriginal(repo, parent.id);
      if (!original) {
        note(
          `the target's restore point ${parent.id.slice(0, 8)} is no longer in the source repository: every chunk is read and compared`,
        );
        return;
      }
      for (const [i, record] of rp.disks.entries()) {
        const before = original.disks.find((d) => d.index === record.index);
        const source = disks[i];
        if (!before || !source || before.size !== record.size || before.chunkSize !== record.chunkSize)
          continue;
        source.changedRanges = await differingRanges(repo, index, before, record);
      }
    },
    async close() {
      await Promise.all(stored.map((d) => d.close()));
    },
  };
}

function storedDiskSource(record: DiskRecord, disk: StoredDisk): DiskSource {
  return {
    name: record.name,
    size: record.size,
    ...(record.origin ? { origin: record.origin } : {}),
    async read(offset, target) {
      const length = Math.min(target.length, disk.size - offset);
      (await disk.read(offset, length)).copy(target, 0);
      if (length < target.length) target.fill(0, length);
    },
    allocation: () => extentsOf(disk),
  };
}

async function* extentsOf(disk: StoredDisk): AsyncIterable<Extent> {
  for (const e of await disk.extents())
    yield { offset: e.offset, length: e.length, kind: e.data ? "data" : "zero" };
}

async function findOriginal(repo: Repository, id: string): Promise<RestorePoint | undefined> {
  return (await repo.listRestorePointIds()).includes(id) ? repo.readRestorePoint(id) : undefined;
}

/** Byte ranges of `after` whose chunks differ from `before`'s at the same position. */
async function differingRanges(
  repo: Repository,
  index: ChunkIndex,
  before: DiskRecord,
  after: DiskRecord,
): Promise<ByteRange[]> {
  const ranges: ByteRange[] = [];
  const chunkSize = after.chunkSize;
  for (const [seg, segmentId] of after.segments.entries()) {
    // Identical segments (an incremental reuses its parent's untouched ones) need no reading.
    if (before.segments[seg] === segmentId) continue;
    const previous = before.segments[seg];
    const a = previous
      ? await repo.readChunkList(index, previous, `chunk list ${seg} of ${before.name}`)
      : [];
    const b = await repo.readChunkList(index, segmentId, `chunk list ${seg} of ${after.name}`);
    for (const [i, id] of b.entries()) {
      if (a[i]?.equals(id)) continue;
      const offset = (seg * SEGMENT_CHUNKS + i) * chunkSize;
      const length = Math.min(chunkSize, after.size - offset);
      const last = ranges[ranges.length - 1];
      if (last && last.offset + last.length === offset) last.length += length;
      else ranges.push({ offset, length });
    }
  }
  return ranges;
}
