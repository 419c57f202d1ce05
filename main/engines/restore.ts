/**
 * The restore engine: writes a disk of a restore point back as a sparse raw file or onto a block
 * device. Every chunk is decrypted and its id recomputed (in workers) before it is written; a
 * chunk that does not verify stops the restore with the disk and offset in the message, and the
 * partial file is removed. A file target is written under a temporary name and renamed at the end.
 */
import { CorruptDataError, SnapferryError, explainIoError } from "../common/errors.js";
import { InOrder } from "./in-order.js";
import { TARGET_FULL_HINT, openFormatTarget, openRawTarget, type RestoreTarget } from "./restore-target.js";
import type { WriteFormat } from "../formats/disk-image.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { HOLE_ID, SEGMENT_CHUNKS } from "../repository/file-formats.js";
import { chunkCount } from "../repository/chunk-list.js";
import type { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import { defaultWorkerCount } from "../workers/pool.js";
import {
  closeChunkReading,
  openChunkReading,
  readChunk,
  releaseChunk,
  type ChunkReading,
} from "./chunk-reading.js";
import { ProgressMeter, type ProgressListener } from "./progress.js";
import { TaskWindow } from "./task-window.js";

export interface RestoreDiskOptions {
  repo: Repository;
  index: ChunkIndex;
  restorePoint: RestorePoint;
  disk: DiskRecord;
  target: string;
  /** Replace an existing regular file. Block devices are always written in place. */
  overwrite: boolean;
  /** Write a disk image of this format instead of a raw file (VMDK for VMware, qcow2 for KVM…). */
  format?: WriteFormat;
  /** A target of the caller's own (an upload to a datastore, say); `target` then only names it. */
  openTarget?: () => Promise<RestoreTarget>;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  workers?: number;
}

export async function restoreDisk(options: RestoreDiskOptions): Promise<void> {
  const { disk } = options;
  const target = options.openTarget
    ? await options.openTarget()
    : options.format && options.format !== "raw"
      ? await openFormatTarget(options.target, disk.size, options.format, options.overwrite)
      : await openRawTarget(options.target, disk.size, options.overwrite);
  const workers = options.workers ?? defaultWorkerCount();
  const reading = openChunkReading(options.repo, workers);
  const meter = new ProgressMeter("restore", disk.size, options.onProgress);
  meter.startDisk(disk.index, disk.name, disk.size);
  try {
    await writeAllChunks(options, target, reading, meter, 3 * workers + 2);
    await target.finish();
    meter.finish();
  } catch (err) {
    await target.discard();
    throw explainIoError(err, options.target, TARGET_FULL_HINT);
  } finally {
    await closeChunkReading(reading);
  }
}

async function writeAllChunks(
  options: RestoreDiskOptions,
  target: RestoreTarget,
  reading: ChunkReading,
  meter: ProgressMeter,
  windowSize: number,
): Promise<void> {
  const { repo, index, disk } = options;
  const label = `disk ${disk.index} (${disk.name}) of restore point ${options.restorePoint.id.slice(0, 8)}`;
  const window = new TaskWindow(windowSize);
  const order = new InOrder();
  const zeros = target.writeHoles ? Buffer.alloc(disk.chunkSize) : null;
  const expectedSegments = Math.ceil(chunkCount(disk.size, disk.chunkSize) / SEGMENT_CHUNKS);
  if (disk.segments.length !== expectedSegments) {
    throw new CorruptDataError(
      `${label} lists ${disk.segments.length} chunk lists, expected ${expectedSegments}`,
    );
  }
  for (const [seg, segmentId] of disk.segments.entries()) {
    const segmentStart = seg * SEGMENT_CHUNKS * disk.chunkSize;
    const ids = await repo.readChunkList(
      index,
      segmentId,
      `${label} at offset ${segmentStart}: chunk list ${seg}`,
    );
    const expected = Math.min(SEGMENT_CHUNKS, chunkCount(disk.size, disk.chunkSize) - seg * SEGMENT_CHUNKS);
    if (ids.length !== expected) {
      throw new CorruptDataError(
        `${label}: chunk list ${seg} holds ${ids.length} chunks, expected ${expected}`,
      );
    }
    for (const [i, id] of ids.entries()) {
      if (options.signal?.aborted) throw new SnapferryError("cancelled", "the restore was cancelled");
      const position = (seg * SEGMENT_CHUNKS + i) * disk.chunkSize;
      const length = Math.min(disk.chunkSize, disk.size - position);
      const inTurn = order.turn<Buffer | undefined>();
      const hole = id.equals(HOLE_ID);
      await window.run(async () => {
        const data = hole
          ? Promise.resolve(zeros?.subarray(0, length))
          : readChunk(reading, index, id, `${label} at offset ${position}`, true);
        await inTurn(data, async (chunk) => {
          if (!chunk) return;
          await target.write(position, chunk);
          // Every target is done with a buffer once its write resolves (RestoreTarget.write).
          if (!hole) releaseChunk(reading, chunk);
        });
        meter.bytesDone += length;
        meter.tick();
      });
    }
  }
  await window.drain();
}
