/**
 * The backup engine: reads each disk of a source, cuts it into chunks and stores the new ones.
 *
 *   read → zero-detect → hash (worker) → known? skip : compress + seal (worker) → pack writer
 *
 * At most `window` chunks are in flight, so memory stays bounded whatever the disk size. Each
 * segment of SEGMENT_CHUNKS chunks ends with its chunk list stored as a blob; every few seconds a
 * checkpoint makes the finished segments durable, so a killed run can resume. The restore point
 * is written last, in one atomic rename, after everything it names is durable.
 */
import { hostname } from "node:os";
import { CancelledError, CorruptDataError, SnapferryError } from "../common/errors.js";
import { TOOL_NAME } from "../common/version.js";
import { BlobEncoder } from "../repository/blob-codec.js";
import { BlobWriter } from "../repository/blob-writer.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { chunkCount, encodeChunkList } from "../repository/chunk-list.js";
import type { Checkpoint } from "../repository/checkpoint.js";
import { freshCheckpointDisks } from "./resume-check.js";
import { BlobType, HOLE_ID, SEGMENT_CHUNKS } from "../repository/file-formats.js";
import type { Repository } from "../repository/repository.js";
import {
  newRestorePointId,
  sourceKey,
  type BackupType,
  type DiskRecord,
  type DiskStats,
  type RestorePoint,
} from "../repository/restore-point.js";
import type { BackupSource, DiskSource } from "../sources/disk-source.js";
import { ChunkBufferPool } from "../workers/buffer-pool.js";
import { CodecPool, defaultWorkerCount } from "../workers/pool.js";
import { ChangedRangeCursor, assertRangesFit } from "./changed-ranges.js";
import { ProgressMeter, type PhaseListener, type ProgressListener } from "./progress.js";
import { TaskWindow } from "./task-window.js";
import { ZeroMap } from "./zero-map.js";

const CHECKPOINT_INTERVAL_MS = 2000;

export interface BackupOptions {
  repo: Repository;
  index: ChunkIndex;
  source: BackupSource;
  /** The restore point this one is incremental to, if any. */
  parent: RestorePoint | null;
  /** What to call the restore point: by default "incremental" with a parent, "full" without. */
  type?: BackupType;
  /**
   * A backup copy: the restore point being copied from another repository. The copy keeps its id,
   * time, type, tool and host, so it is the same restore point in both places (and a second copy
   * finds it there and moves nothing).
   */
  copyOf?: RestorePoint;
  /** Segments already done by an interrupted run of the same backup. */
  resumeFrom: Checkpoint | null;
  /**
   * Per disk, by segment number: finished segments of an interrupted run that read another state
   * of the source, which the source vouched are unchanged since (see resume-check.ts).
   */
  stillValid?: (string | undefined)[][];
  onProgress?: ProgressListener;
  /** Hears "transfer" when reading starts and "commit" when the restore point is being written. */
  onPhase?: PhaseListener;
  signal?: AbortSignal;
  workers?: number;
}

/** Everything one backup run shares between its disks. */
interface Run {
  options: BackupOptions;
  pool: CodecPool;
  writer: BlobWriter;
  meter: ProgressMeter;
  checkpoint: Checkpoint;
  lastCheckpoint: number;
  /** Chunks in flight at most: enough to keep every worker busy while reads and writes wait. */
  window: number;
  buffers: ChunkBufferPool;
  /** Moving share of recent chunks that were new; decides whether to hash and encode at once. */
  newShare: number;
  /** Recycled buffers for chunks as stored (compressed and sealed), each big enough for any. */
  storedBuffers: ChunkBufferPool;
  /** Encodes chunk lists, which are small enough to do on this thread. */
  listEncoder: BlobEncoder;
}

export async function runBackup(options: BackupOptions): Promise<RestorePoint> {
  const { repo, index, source, parent, resumeFrom } = options;
  const started = Date.now();
  const total = source.disks.reduce((sum, d) => sum + d.size, 0);
  const checkpoint: Checkpoint = resumeFrom ?? {
    version: 1,
    sourceKey: sourceKey(source.info),
    fingerprint: source.fingerprint,
    source: source.info,
    restorePointId: options.copyOf?.id ?? newRestorePointId(),
    startedAt: new Date().toISOString(),
    type: options.type ?? (parent ? "incremental" : "full"),
    parent: parent?.id ?? null,
    consistency: source.consistency,
    disks: freshCheckpointDisks(source),
  };
  const workers = options.workers ?? defaultWorkerCount();
  const run: Run = {
    options,
    window: 3 * workers + 2,
    buffers: new ChunkBufferPool(repo.config.chunkSize),
    newShare: parent ? 0 : 1,
    storedBuffers: new ChunkBufferPool(repo.config.chunkSize + repo.sealer.overhead),
    listEncoder: new BlobEncoder(repo.sealer),
    pool: new CodecPool(repo.keys, workers),
    writer: new BlobWriter(repo, index),
    meter: new ProgressMeter("backup", total, options.onProgress),
    checkpoint,
    lastCheckpoint: Date.now(),
  };
  try {
    options.onPhase?.("transfer");
    const disks: DiskRecord[] = [];
    for (const [i, disk] of source.disks.entries()) disks.push(await backupDisk(run, i, disk));
    options.onPhase?.("commit");
    await run.writer.flush();
    const original = options.copyOf;
    const rp: RestorePoint = {
      version: 1,
      id: checkpoint.restorePointId,
      time: original?.time ?? new Date().toISOString(),
      tool: original?.tool ?? TOOL_NAME,
      host: original?.host ?? hostname(),
      type: checkpoint.type,
      parent: checkpoint.parent,
      consistency: checkpoint.consistency,
      source: source.info,
      disks,
      config: Object.fromEntries(
        Object.entries(source.configFiles).map(([k, v]) => [k, v.toString("base64")]),
      ),
      durationMs: original?.durationMs ?? Date.now() - started,
    };
    await repo.writeRestorePoint(rp);
    await repo.deleteCheckpoint(checkpoint.sourceKey);
    run.meter.finish();
    return rp;
  } catch (err) {
    await saveProgressAfterFailure(run);
    throw err;
  } finally {
    await run.pool.close();
  }
}

/** On cancel or failure, keep what is durable so that a resume can use it; never hide the error. */
async function saveProgressAfterFailure(run: Run): Promise<void> {
  try {
    await run.writer.flush();
    if (run.checkpoint.disks.some((d) => d.segments.length > 0))
      await run.options.repo.writeCheckpoint(run.checkpoint);
  } catch {
    // The original error is the one to report; what could not be made durable is dropped below.
  } finally {
    // After a flush this closes nothing; after a failed one it closes and removes the open pack.
    await run.writer.abort();
  }
}

async function backupDisk(run: Run, diskIndex: number, disk: DiskSource): Promise<DiskRecord> {
  const { repo, parent } = run.options;
  const chunkSize = repo.config.chunkSize;
  const chunks = chunkCount(disk.size, chunkSize);
  const segmentCount = Math.ceil(chunks / SEGMENT_CHUNKS);
  const done = run.checkpoint.disks[diskIndex];
  if (!done) throw new SnapferryError("internal", `the checkpoint has no entry for disk ${diskIndex}`);
  const parentDisk = parent?.disks[diskIndex];
  const reuseParent =
    disk.changedRanges !== undefined && parentDisk !== undefined && parentDisk.size === disk.size;
  if (disk.changedRanges) assertRangesFit(disk.changedRanges, disk.size, disk.name);
  const cursor = reuseParent ? new ChangedRangeCursor(disk.changedRanges ?? []) : null;
  const stats: DiskStats = { bytesRead: 0, bytesNew: 0, bytesStored: 0, bytesHoles: 0 };
  const storedBefore = run.writer.bytesStored;
  const zeroMap = disk.allocation ? new ZeroMap(disk.allocation()) : null;
  run.meter.startDisk(diskIndex, disk.name, disk.size);

  for (let seg = 0; seg < segmentCount; seg++) {
    const first = seg * SEGMENT_CHUNKS;
    const last = Math.min(first + SEGMENT_CHUNKS, chunks);
    const segBytes = Math.min(last * chunkSize, disk.size) - first * chunkSize;
    if (seg < done.segments.length) {
      run.meter.bytesDone += segBytes;
      continue;
    }
    const valid = run.options.stillValid?.[diskIndex]?.[seg];
    if (valid !== undefined) {
      done.segments.push(valid);
      run.meter.bytesDone += segBytes;
      continue;
    }
    const parentSegment = reuseParent ? parentDisk?.segments[seg] : undefined;
    const parentIds = parentSegment
      ? await repo.readChunkList(
          run.options.index,
          parentSegment,
          `chunk list ${seg} of the parent restore point`,
        )
      : null;
    const ids = await backupSegment(run, disk, first, last, stats, zeroMap, (c) =>
      parentIds && cursor && !cursor.touches(c * chunkSize, Math.min((c + 1) * chunkSize, disk.size))
        ? parentIds[c - first]
        : undefined,
    );
    done.segments.push(await storeChunkList(run, ids));
    await maybeCheckpoint(run);
  }
  stats.bytesStored = run.writer.bytesStored - storedBefore;
  return {
    index: diskIndex,
    name: disk.name,
    size: disk.size,
    chunkSize,
    segments: [...done.segments],
    stats,
    ...(disk.origin ? { origin: disk.origin } : {}),
  };
}

/**
 * Backs up chunks [first, last) of a disk and returns their ids in order. `unchanged(c)` returns
 * the parent's id for a chunk that changed-block tracking says is untouched.
 */
async function backupSegment(
  run: Run,
  disk: DiskSource,
  first: number,
  last: number,
  stats: DiskStats,
  zeroMap: ZeroMap | null,
  unchanged: (chunk: number) => Buffer | undefined,
): Promise<Buffer[]> {
  const chunkSize = run.options.repo.config.chunkSize;
  const ids: Buffer[] = new Array<Buffer>(last - first);
  const window = new TaskWindow(run.window);
  const inFlight = new Map<string, Promise<void>>();
  try {
    for (let c = first; c < last; c++) {
      if (run.options.signal?.aborted)
        throw new CancelledError(
          "the backup",
          "What was stored is kept: run the same backup with --resume to continue where it stopped.",
        );
      const offset = c * chunkSize;
      const length = Math.min(chunkSize, disk.size - offset);
      const reused = unchanged(c);
      if (reused) {
        if (!reused.equals(HOLE_ID) && !run.writer.known(reused)) {
          throw new CorruptDataError(
            `the parent restore point names chunk ${reused.toString("hex").slice(0, 16)}… that is not in the repository`,
          );
        }
        ids[c - first] = reused;
        run.meter.bytesDone += length;
        run.meter.tick();
        continue;
      }
      if (zeroMap && (await zeroMap.isZero(offset, offset + length))) {
        // A hole the source told us about: recorded without reading it.
        ids[c - first] = HOLE_ID;
        stats.bytesHoles += length;
        run.meter.bytesDone += length;
        run.meter.tick();
        continue;
      }
      await window.run(async () => {
        const data = run.buffers.take(length);
        await disk.read(offset, data);
        stats.bytesRead += length;
        run.meter.bytesRead += length;
        if (isAllZero(data)) {
          ids[c - first] = HOLE_ID;
          stats.bytesHoles += length;
          run.buffers.give(data);
        } else {
          ids[c - first] = await storeChunk(run, data, stats, inFlight);
        }
        run.meter.bytesDone += length;
        run.meter.bytesStored = run.writer.bytesStored;
        run.meter.tick();
      });
    }
  } catch (err) {
    // Chunks still in flight would otherwise add to the pack writer after the failure path has
    // flushed it, opening a pack file nobody closes, and read a source that is being closed.
    await window.settle();
    throw err;
  }
  await window.drain();
  return ids;
}

/**
 * Hashes a chunk and stores it unless the repository has it. While most recent chunks were new
 * (a first backup), hashing and encoding go to the worker together, saving a round trip; while
 * most were known (a later backup without changed ranges), the chunk is hashed first so that
 * known chunks are never compressed.
 */
async function storeChunk(
  run: Run,
  data: Buffer,
  stats: DiskStats,
  inFlight: Map<string, Promise<void>>,
): Promise<Buffer> {
  const length = data.length;
  const storedBuffer = (): Buffer => run.storedBuffers.take();
  const speculative = run.newShare > 0.5 ? await run.pool.hashEncode(data, storedBuffer()) : undefined;
  const hashed = speculative ?? (await run.pool.hash(data));
  const id = hashed.id;
  const key = id.toString("hex");
  const pending = inFlight.get(key);
  const isNew = !pending && !run.writer.known(id);
  run.newShare = run.newShare * 0.9 + (isNew ? 0.1 : 0);
  if (!isNew) {
    run.buffers.give(hashed.data);
    if (speculative) run.storedBuffers.give(speculative.stored);
    await pending;
    return id;
  }
  const store = (async () => {
    const blob = speculative ?? (await run.pool.encode(hashed.data, storedBuffer()));
    run.buffers.give(blob.data);
    // The pack writer has written the blob once add resolves, so its buffer can be reused.
    await run.writer.add(BlobType.data, id, length, blob);
    run.storedBuffers.give(blob.stored);
  })();
  inFlight.set(key, store);
  try {
    await store;
  } finally {
    inFlight.delete(key);
  }
  stats.bytesNew += length;
  run.meter.bytesNew += length;
  return id;
}

async function storeChunkList(run: Run, ids: Buffer[]): Promise<string> {
  const plaintext = encodeChunkList(ids);
  const sealer = run.options.repo.sealer;
  const id = sealer.chunkId(plaintext);
  if (!run.writer.known(id))
    await run.writer.add(BlobType.list, id, plaintext.length, run.listEncoder.encode(plaintext));
  return id.toString("hex");
}

async function maybeCheckpoint(run: Run): Promise<void> {
  if (Date.now() - run.lastCheckpoint < CHECKPOINT_INTERVAL_MS) return;
  await run.writer.flush();
  await run.options.repo.writeCheckpoint(run.checkpoint);
  run.lastCheckpoint = Date.now();
}

const ZEROS = Buffer.alloc(4 * 1024 * 1024);

function isAllZero(data: Buffer): boolean {
  return data.equals(ZEROS.subarray(0, data.length));
}
