/**
 * `check`: proves a repository is sound. The structure pass reads index files, lists packs and
 * walks every restore point's chunk lists, so that each chunk named is known to exist. With
 * `readData`, every pack is read whole, its name (a SHA-256) checked, and every blob decrypted
 * and its id recomputed. Problems are tied back to the restore points and disks they affect.
 */
import { promises as fs } from "node:fs";
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import { ChunkIndex } from "../repository/chunk-index.js";
import { HOLE_ID, SEGMENT_CHUNKS } from "../repository/file-formats.js";
import { packPath, readPackTable } from "../repository/pack-file.js";
import type { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import { CodecPool } from "../workers/pool.js";
import { ProgressMeter, type ProgressListener } from "./progress.js";
import { TaskWindow } from "./task-window.js";

export interface CheckProblem {
  message: string;
  restorePoint?: string;
  disk?: number;
}

export interface CheckReport {
  readData: boolean;
  restorePoints: number;
  packs: number;
  problems: CheckProblem[];
  damagedRestorePoints: { id: string; disks: number[] }[];
  notes: string[];
}

/** Ids of blobs that cannot be read back, with why. */
type BadBlobs = Map<string, string>;

export async function checkRepository(
  repo: Repository,
  readData: boolean,
  onProgress?: ProgressListener,
): Promise<CheckReport> {
  const report: CheckReport = {
    readData,
    restorePoints: 0,
    packs: 0,
    problems: [],
    damagedRestorePoints: [],
    notes: [],
  };
  const index = await loadIndexReporting(repo, report);
  const bad: BadBlobs = new Map();
  await checkPacks(repo, index, report, bad);
  if (readData) await readAllData(repo, index, bad, onProgress);
  await checkRestorePoints(repo, index, bad, report);
  return report;
}

async function loadIndexReporting(repo: Repository, report: CheckReport): Promise<ChunkIndex> {
  const index = new ChunkIndex();
  for (const name of await repo.listIndexFiles()) {
    try {
      for (const pack of await repo.readIndexFile(name)) index.addPack(pack.id, pack.size, pack.entries);
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      report.problems.push({ message: `${err.message}; run \`snapferry rebuild-index\`` });
    }
  }
  return index;
}

async function checkPacks(
  repo: Repository,
  index: ChunkIndex,
  report: CheckReport,
  bad: BadBlobs,
): Promise<void> {
  const onDisk = await repo.listPacks();
  const indexed = index.packs();
  report.packs = indexed.length;
  const broken = new Map<string, string>();
  for (const pack of indexed) {
    const size = onDisk.get(pack.id);
    if (size === undefined) broken.set(pack.id, `pack ${pack.id} is missing`);
    else if (size !== pack.size)
      broken.set(pack.id, `pack ${pack.id} has ${size} bytes, the index says ${pack.size}`);
  }
  for (const message of broken.values()) report.problems.push({ message });
  if (broken.size > 0) {
    for (const [id, loc] of index.entries()) {
      const why = broken.get(loc.packId);
      if (why) bad.set(id.toString("hex"), why);
    }
  }
  const unindexed = [...onDisk.keys()].filter((id) => !index.hasPack(id)).length;
  if (unindexed > 0) {
    report.notes.push(
      `${unindexed} packs are in no index (left by an interrupted run); \`snapferry prune\` takes them in or removes them`,
    );
  }
}

async function readAllData(
  repo: Repository,
  index: ChunkIndex,
  bad: BadBlobs,
  onProgress?: ProgressListener,
): Promise<void> {
  const packs = index.packs();
  const meter = new ProgressMeter(
    "check",
    packs.reduce((s, p) => s + p.size, 0),
    onProgress,
  );
  const byPack = new Map<string, [Buffer, ReturnType<ChunkIndex["get"]>][]>();
  for (const [id, loc] of index.entries()) {
    const list = byPack.get(loc.packId) ?? [];
    list.push([id, loc]);
    byPack.set(loc.packId, list);
  }
  const pool = new CodecPool(repo.keys);
  try {
    for (const pack of packs) {
      const blobs = byPack.get(pack.id) ?? [];
      let bytes: Buffer;
      try {
        bytes = await fs.readFile(packPath(repo.path, pack.id));
      } catch {
        continue; // already reported as missing
      }
      const tableProblem = await packTableProblem(repo, pack.id, blobs.length);
      const window = new TaskWindow(8);
      for (const [id, loc] of blobs) {
        if (!loc) continue;
        await window.run(async () => {
          const what = `blob ${id.toString("hex").slice(0, 16)}… in pack ${pack.id.slice(0, 16)}…`;
          try {
            const stored = bytes.subarray(loc.offset, loc.offset + loc.storedLength);
            if (stored.length !== loc.storedLength)
              throw new CorruptDataError(`${what} lies past the end of the pack`);
            await pool.decode(Buffer.from(stored), loc.compression, loc.rawLength, id, what);
          } catch (err) {
            if (!(err instanceof SnapferryError)) throw err;
            bad.set(id.toString("hex"), err.message);
          }
        });
      }
      await window.drain();
      if (tableProblem) bad.set(`pack:${pack.id}`, tableProblem);
      meter.bytesDone += pack.size;
      meter.tick();
    }
    meter.finish();
  } finally {
    await pool.close();
  }
}

/**
 * The pack's own blob table is what `rebuild-index` would need: check it opens and lists at least
 * the blobs the index names there. Damage here leaves the data readable, but should be known.
 */
async function packTableProblem(
  repo: Repository,
  packId: string,
  indexed: number,
): Promise<string | undefined> {
  try {
    const { entries } = await readPackTable(packPath(repo.path, packId), repo.sealer);
    if (entries.length < indexed)
      return `pack ${packId}: its table lists ${entries.length} blobs, the index ${indexed}`;
    return undefined;
  } catch (err) {
    if (err instanceof SnapferryError)
      return `pack ${packId}: ${err.message} (the index can no longer be rebuilt from it)`;
    throw err;
  }
}

async function checkRestorePoints(
  repo: Repository,
  index: ChunkIndex,
  bad: BadBlobs,
  report: CheckReport,
): Promise<void> {
  const reported = new Set<string>();
  for (const [key, why] of bad) {
    if (key.startsWith("pack:")) report.problems.push({ message: why });
  }
  const ids = await repo.listRestorePointIds();
  report.restorePoints = ids.length;
  for (const id of ids) {
    let rp: RestorePoint;
    try {
      rp = await repo.readRestorePoint(id);
    } catch (err) {
      if (!(err instanceof CorruptDataError)) throw err;
      report.problems.push({ message: err.message, restorePoint: id });
      report.damagedRestorePoints.push({ id, disks: [] });
      continue;
    }
    const damagedDisks: number[] = [];
    for (const disk of rp.disks) {
      const problem = await firstDiskProblem(repo, index, bad, rp, disk);
      if (problem) {
        damagedDisks.push(disk.index);
        report.problems.push({ message: problem, restorePoint: id, disk: disk.index });
      }
    }
    if (damagedDisks.length > 0 && !reported.has(id)) {
      reported.add(id);
      report.damagedRestorePoints.push({ id, disks: damagedDisks });
    }
  }
}

/** Walks a disk's chunk lists; returns a description of the first chunk that cannot be restored. */
async function firstDiskProblem(
  repo: Repository,
  index: ChunkIndex,
  bad: BadBlobs,
  rp: RestorePoint,
  disk: DiskRecord,
): Promise<string | undefined> {
  const label = `restore point ${rp.id.slice(0, 8)} disk ${disk.index} (${disk.name})`;
  const expectedSegments = Math.ceil(Math.ceil(disk.size / disk.chunkSize) / SEGMENT_CHUNKS);
  if (disk.segments.length !== expectedSegments) {
    return `${label}: has ${disk.segments.length} chunk lists, expected ${expectedSegments}`;
  }
  let damaged = 0;
  let first: string | undefined;
  for (const [seg, segId] of disk.segments.entries()) {
    const badList = bad.get(segId);
    if (badList) return `${label}: chunk list ${seg}: ${badList}`;
    let ids: Buffer[];
    try {
      ids = await repo.readChunkList(index, segId, `${label} chunk list ${seg}`);
    } catch (err) {
      if (err instanceof SnapferryError) return err.message;
      throw err;
    }
    for (const [i, id] of ids.entries()) {
      if (id.equals(HOLE_ID)) continue;
      const key = id.toString("hex");
      const why = !index.has(id) ? `chunk ${key.slice(0, 16)}… is missing` : bad.get(key);
      if (why) {
        damaged++;
        first ??= `at offset ${(seg * SEGMENT_CHUNKS + i) * disk.chunkSize}: ${why}`;
      }
    }
  }
  return first ? `${label}: ${damaged} damaged chunks, first ${first}` : undefined;
}
