/**
 * The restore engine: writes a disk of a restore point back as a sparse raw file or onto a block
 * device. Every chunk is decrypted and its id recomputed (in workers) before it is written; a
 * chunk that does not verify stops the restore with the disk and offset in the message, and the
 * partial file is removed. A file target is written under a temporary name and renamed at the end.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { CorruptDataError, SnapferryError, errnoCode, explainIoError } from "../common/errors.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { HOLE_ID, SEGMENT_CHUNKS } from "../repository/file-formats.js";
import { chunkCount } from "../repository/chunk-list.js";
import type { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import { CodecPool, defaultWorkerCount } from "../workers/pool.js";
import { GarbageBudget } from "../workers/garbage.js";
import { PackReader } from "../repository/pack-reader.js";

/** What reading chunks back needs: workers to open and verify them, open packs to read from. */
interface ChunkReading {
  pool: CodecPool;
  packs: PackReader;
  garbage: GarbageBudget;
}
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
  onProgress?: ProgressListener;
  signal?: AbortSignal;
  workers?: number;
}

/** Advice when the target's disk fills up (the repository's own advice, to prune, would not help). */
const TARGET_FULL_HINT = "Free space on the disk that holds the target, or restore to a larger one.";

/** How much is written between two background syncs. */
const SYNC_EVERY = 64 * 1024 * 1024;

/**
 * Syncs the target in the background every SYNC_EVERY bytes, so the disk writes while the
 * workers decrypt, and the final sync (the restore is not done before it) has little left to do.
 */
class BackgroundFlusher {
  private pending: Promise<void> | undefined;
  private since = 0;
  private failure: unknown;

  constructor(private readonly handle: fs.FileHandle) {}

  wrote(bytes: number): void {
    this.since += bytes;
    if (this.since < SYNC_EVERY || this.pending) return;
    this.since = 0;
    this.pending = this.handle
      .datasync()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.pending = undefined;
      });
  }

  async finish(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
    await this.handle.sync();
  }
}

interface Target {
  handle: fs.FileHandle;
  flusher: BackgroundFlusher;
  /** Holes on a block device must be written as zeros: the device holds old data. */
  writeHoles: boolean;
  commit(): Promise<void>;
  discard(): Promise<void>;
}

export async function restoreDisk(options: RestoreDiskOptions): Promise<void> {
  const { disk } = options;
  const target = await openTarget(options.target, disk.size, options.overwrite);
  const workers = options.workers ?? defaultWorkerCount();
  const reading: ChunkReading = {
    pool: new CodecPool(options.repo.keys, workers),
    packs: new PackReader(options.repo.path),
    garbage: new GarbageBudget(),
  };
  const meter = new ProgressMeter("restore", disk.size, options.onProgress);
  meter.startDisk(disk.index, disk.name, disk.size);
  try {
    await writeAllChunks(options, target, reading, meter, 3 * workers + 2);
    await target.flusher.finish();
    await target.commit();
    meter.finish();
  } catch (err) {
    await target.discard();
    throw explainIoError(err, options.target, TARGET_FULL_HINT);
  } finally {
    await reading.pool.close();
    await reading.packs.close();
  }
}

async function writeAllChunks(
  options: RestoreDiskOptions,
  target: Target,
  reading: ChunkReading,
  meter: ProgressMeter,
  windowSize: number,
): Promise<void> {
  const { repo, index, disk } = options;
  const label = `disk ${disk.index} (${disk.name}) of restore point ${options.restorePoint.id.slice(0, 8)}`;
  const window = new TaskWindow(windowSize);
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
      await window.run(async () => {
        const data = id.equals(HOLE_ID)
          ? zeros?.subarray(0, length)
          : await readChunk(options, reading, id, label, position);
        if (data) {
          await writeFully(target.handle, data, position);
          target.flusher.wrote(data.length);
        }
        meter.bytesDone += length;
        meter.tick();
      });
    }
  }
  await window.drain();
}

async function readChunk(
  options: RestoreDiskOptions,
  reading: ChunkReading,
  id: Buffer,
  label: string,
  position: number,
): Promise<Buffer> {
  const where = `${label} at offset ${position}`;
  const loc = options.index.get(id);
  if (!loc)
    throw new CorruptDataError(
      `${where}: chunk ${id.toString("hex").slice(0, 16)}… is missing from the repository`,
    );
  try {
    const stored = await reading.packs.read(loc);
    reading.garbage.spend(loc.rawLength);
    return await reading.pool.decode(
      stored,
      loc.compression,
      loc.rawLength,
      id,
      `chunk ${id.toString("hex").slice(0, 16)}…`,
    );
  } catch (err) {
    if (err instanceof CorruptDataError) throw new CorruptDataError(`${where}: ${err.message}`);
    throw err;
  }
}

async function writeFully(handle: fs.FileHandle, data: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}

async function openTarget(targetPath: string, size: number, overwrite: boolean): Promise<Target> {
  let stat;
  try {
    stat = await fs.stat(targetPath);
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw err;
  }
  if (stat?.isBlockDevice()) {
    const handle = await fs.open(targetPath, "r+");
    return {
      handle,
      flusher: new BackgroundFlusher(handle),
      writeHoles: true,
      commit: () => handle.close(),
      discard: () => handle.close().catch(() => undefined),
    };
  }
  if (stat?.isDirectory()) {
    throw new SnapferryError(
      "target",
      `target ${targetPath} is a folder`,
      "Give a file name for the restored disk.",
    );
  }
  if (stat && !overwrite) {
    throw new SnapferryError(
      "target",
      `target ${targetPath} already exists`,
      "Remove it, choose another name, or pass --overwrite.",
    );
  }
  const partial = path.join(path.dirname(targetPath), `.${path.basename(targetPath)}.snapferry-partial`);
  let handle: fs.FileHandle;
  try {
    handle = await fs.open(partial, "w");
    // A new file of the full size is all hole: chunks that are holes are simply not written.
    await handle.truncate(size);
  } catch (err) {
    throw explainIoError(err, targetPath, TARGET_FULL_HINT);
  }
  return {
    handle,
    flusher: new BackgroundFlusher(handle),
    writeHoles: false,
    commit: async () => {
      await handle.close();
      await fs.rename(partial, targetPath);
    },
    discard: async () => {
      await handle.close().catch(() => undefined);
      await fs.rm(partial, { force: true });
    },
  };
}
