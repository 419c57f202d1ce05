/**
 * Crash safety of `backup`: the CLI is killed with SIGKILL at many random moments of a backup, and
 * after each kill the repository must pass `check --read-data`, every restore point must restore
 * bit for bit, the lock of the dead process must not block anyone, and `backup --resume` must
 * finish the job, reusing what a checkpoint saved.
 *
 * Kill moments are random fractions (from a seeded generator, spread evenly) of the measured
 * length of an uninterrupted run. The seed is printed; SNAPFERRY_CRASH_SEED=<seed> replays the
 * same fractions, SNAPFERRY_CRASH_KILLS=<n> makes more or fewer kills.
 */
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, openSync, rmSync, statSync, symlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes, seededText } from "../../main/demo/disk-image.js";
import { cliOk, lastLine, requireTool } from "../support/cli.js";
import {
  CliRun,
  MiB,
  Prng,
  assertCheckClean,
  assertRestoresIdentically,
  cheapenKeyFile,
  copyRepository,
  crashKills,
  crashSeed,
  jsonObjects,
  killFractions,
  lockPids,
  median,
  packIds,
  repoFiles,
  waitAll,
  type RunEnd,
  type Stall,
} from "../support/crash.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * 1024;
/** 320 MiB: five segments of 256 chunks, two thirds of it holes, the rest (about 110 MiB) data. */
const DISK_CHUNKS = 1280;
/**
 * The whole backup takes about a second here, less than the 2 s between checkpoints. So a run is
 * stalled for a while when it starts on the disk (its first progress line): the next segment
 * boundary then writes a checkpoint, on any machine, and kills after it test --resume. Kill moments
 * count only the time the process runs, not the stall. A stall changes nothing before that
 * boundary, so runs killed well before it are not stalled, which saves time.
 */
const STALL: Stall = { when: /"progress"/, ms: 2100 };
/** Tries of one kill whose backup finished before the kill came (the run was faster than measured). */
const MAX_TRIES = 3;

interface BackupJson {
  restorePoint: string;
  read: number;
  stored: number;
}

function isBackupJson(o: Record<string, unknown>): o is Record<string, unknown> & BackupJson {
  return typeof o.restorePoint === "string" && typeof o.stored === "number" && typeof o.read === "number";
}

/** Writes an image chunk by chunk; `undefined` leaves a chunk as a hole (zeros). */
function writeImage(file: string, chunks: number, chunk: (i: number) => Buffer | undefined): void {
  const fd = openSync(file, "w");
  try {
    for (let i = 0; i < chunks; i++) {
      const data = chunk(i);
      if (data) writeSync(fd, data, 0, data.length, i * CHUNK);
    }
    ftruncateSync(fd, chunks * CHUNK);
  } finally {
    closeSync(fd);
  }
}

describe("backup killed with SIGKILL at random moments", () => {
  const tmp = makeTempDir("crash-backup");
  const seed = crashSeed();
  const kills = crashKills(21);
  const template = path.join(tmp.dir, "template");
  const work = path.join(tmp.dir, "work");
  const disk = path.join(tmp.dir, "disk.img");
  /** Restore points in the template, with the image each was taken from. */
  const earlier = new Map<string, string>();
  /** What an uninterrupted backup of the disk reads and stores. */
  let fresh: BackupJson = { restorePoint: "", read: 0, stored: 0 };
  /** How long an uninterrupted backup runs (its stall not counted). */
  let durationMs = 0;
  /** Kills from this moment on are made in stalled runs (see STALL). */
  let stallFrom = 0;

  /** Backs up the disk to the end on a fresh copy of the template, noting when packs and checkpoints appear. */
  async function watchedBackup(): Promise<{ end: RunEnd; packTimes: number[]; checkpointTimes: number[] }> {
    copyRepository(template, work);
    const packsBefore = packIds(work).length;
    const run = new CliRun(["backup", "--repo", work, disk, "--json"], STALL);
    const packTimes: number[] = [];
    const checkpointTimes: number[] = [];
    let lastCheckpointMtime = 0;
    const watch = setInterval(() => {
      const packs = packIds(work).length - packsBefore;
      while (packTimes.length < packs) packTimes.push(Math.round(run.runningMs()));
      for (const name of repoFiles(work, "checkpoints")) {
        try {
          const mtime = statSync(path.join(work, "checkpoints", name)).mtimeMs;
          if (mtime !== lastCheckpointMtime) checkpointTimes.push(Math.round(run.runningMs()));
          lastCheckpointMtime = mtime;
        } catch {
          // removed between readdir and stat: the backup just finished
        }
      }
    }, 5);
    const end = await run.done.finally(() => clearInterval(watch));
    return { end, packTimes, checkpointTimes };
  }

  before(async () => {
    requireTool("cmp", "diffutils");
    // Two versions of a small VM disk, backed up into the template repository: the restore
    // points that every kill must leave intact.
    const rng = new SeededBytes("crash backup");
    const baseChunks = Array.from({ length: 96 }, (_, i) => (i < 80 ? rng.bytes(CHUNK) : undefined));
    const baseV2Chunks = baseChunks.map((c, i) => (c && i % 4 === 1 ? rng.bytes(CHUNK) : c));
    const baseV1 = path.join(tmp.dir, "base-v1.img");
    const baseV2 = path.join(tmp.dir, "base-v2.img");
    writeImage(baseV1, baseChunks.length, (i) => baseChunks[i]);
    writeImage(baseV2, baseV2Chunks.length, (i) => baseV2Chunks[i]);
    // The disk being backed up starts like the small VM (a clone of the same template, so those
    // chunks deduplicate), then holds runs of random data, text and holes.
    const text = seededText(rng, 4 * MiB);
    writeImage(disk, DISK_CHUNKS, (i) => {
      if (i < 64) return baseV2Chunks[i];
      const run = Math.floor(i / 8) % 16;
      if (run === 0 || run === 4 || run === 9 || run === 12) return rng.bytes(CHUNK);
      if (run !== 6) return undefined;
      const at = rng.int(text.length - CHUNK);
      const chunk = Buffer.from(text.subarray(at, at + CHUNK));
      chunk.write(`disk chunk ${i}\n`, 0, "latin1");
      return chunk;
    });

    await cliOk(["init", "--repo", template, "--chunk-size", "256K"]);
    await cheapenKeyFile(template);
    const base = path.join(tmp.dir, "base.img");
    for (const image of [baseV1, baseV2]) {
      rmSync(base, { force: true });
      symlinkSync(image, base);
      earlier.set(lastLine((await cliOk(["backup", "--repo", template, base])).stdout), image);
    }

    // An uninterrupted run, watched: how long it runs, and when packs and checkpoints appear.
    const { end, packTimes, checkpointTimes } = await watchedBackup();
    assert.equal(end.code, 0, `the uninterrupted backup failed\n${end.stdout}\n${end.stderr}`);
    const result = jsonObjects(end.stdout).find(isBackupJson);
    assert.ok(result, end.stdout);
    fresh = result;
    const firstCheckpoint = checkpointTimes[0];
    assert.ok(firstCheckpoint !== undefined, "the uninterrupted backup wrote no checkpoint");
    stallFrom = firstCheckpoint * 0.75;
    await assertRestoresIdentically(work, fresh.restorePoint, disk, path.join(tmp.dir, "fresh.out"), "fresh");
    // Two more runs, neither watched nor stalled: a run lasts the median of the three.
    const times = [end.ms];
    for (let i = 0; i < 2; i++) {
      copyRepository(template, work);
      const plain = await new CliRun(["backup", "--repo", work, disk, "--json"]).done;
      assert.equal(plain.code, 0, `the uninterrupted backup failed\n${plain.stdout}\n${plain.stderr}`);
      times.push(plain.ms);
    }
    durationMs = median(times);
    console.log(
      `uninterrupted backup: ran ${times.map(Math.round).join(", ")} ms (the first stalled ${STALL.ms} ms ` +
        `more), stored ${(fresh.stored / MiB).toFixed(1)} MiB; packs at ${packTimes.join(", ")} ms, ` +
        `checkpoints at ${checkpointTimes.join(", ")} ms`,
    );
  });

  after(() => tmp.cleanup());

  it("leaves a sound, resumable repository after every kill", async () => {
    const fractions = killFractions(new Prng(seed), kills);
    console.log(
      `crash seed ${seed} (replay with SNAPFERRY_CRASH_SEED=${seed}); kills at these fractions of ` +
        `${Math.round(durationMs)} ms: ${fractions.map((f) => f.toFixed(3)).join(", ")}`,
    );
    let killed = 0;
    let resumedFromCheckpoint = 0;
    for (const [n, fraction] of fractions.entries()) {
      const started = performance.now();
      let label = "";
      let run: CliRun | undefined;
      let end: RunEnd | undefined;
      let packsBefore = new Set<string>();
      let indexBefore = new Set<string>();
      for (let tries = 1; tries <= MAX_TRIES; tries++) {
        const moment = Math.round(fraction * durationMs);
        const stall = moment >= stallFrom ? STALL : undefined;
        label = `kill ${n + 1}/${kills} at ${moment} ms${stall ? " of a stalled run" : ""} (seed ${seed})`;
        copyRepository(template, work);
        packsBefore = new Set(packIds(work));
        indexBefore = new Set(repoFiles(work, "index"));
        run = new CliRun(["backup", "--repo", work, disk, "--json"], stall);
        end = await run.killAt(moment);
        if (end.signal === "SIGKILL") break;
        assert.equal(
          end.code,
          0,
          `${label}: the backup failed before the kill\n${end.stdout}\n${end.stderr}`,
        );
        // Faster than measured: the kill came too late. Aim again, at the same fraction of this run.
        console.log(`${label}: the backup had finished after ${Math.round(end.ms)} ms; aiming again`);
        durationMs = end.ms;
      }
      assert.ok(run && end);
      if (end.signal === "SIGKILL") killed++;

      // What the dead process left behind.
      const newPacks = packIds(work).filter((p) => !packsBefore.has(p));
      const newIndexFiles = repoFiles(work, "index").filter((f) => !indexBefore.has(f));
      const checkpointLeft = repoFiles(work, "checkpoints").length > 0;
      const packBeingWritten = repoFiles(work, "tmp").some((f) => f.endsWith(".pack"));
      const newPoints = repoFiles(work, "snapshots").filter((id) => !earlier.has(id));
      const staleLock = lockPids(work).includes(run.pid);
      const stage = [
        end.signal === "SIGKILL" ? "killed" : "had finished",
        staleLock ? "lock left" : "no lock",
        `${newPacks.length} new packs, ${newIndexFiles.length} new index files`,
        packBeingWritten ? "a pack half written" : "no pack half written",
        checkpointLeft ? "checkpoint" : "no checkpoint",
        newPoints.length > 0 ? "restore point written" : "no restore point",
      ].join("; ");

      // The lock of the dead process is broken by the next command (check takes an exclusive one).
      await assertCheckClean(work, `${label} (${stage})`);
      assert.deepEqual(lockPids(work), [], `${label}: a lock is left after check`);

      // Every restore point there is restores bit for bit: the earlier ones, and the new one if
      // the backup got as far as writing it. Meanwhile (restores and backups share the repository)
      // the interrupted backup resumes, reusing what a checkpoint saved; its restore point must
      // restore bit for bit too.
      const restoreAll = async (): Promise<void> => {
        for (const id of repoFiles(work, "snapshots")) {
          const image = earlier.get(id) ?? disk;
          await assertRestoresIdentically(work, id, image, path.join(tmp.dir, "restored.out"), label);
        }
      };
      const resume = async (): Promise<BackupJson> => {
        const resumed = await cliOk(["backup", "--repo", work, disk, "--resume", "--json"]);
        const objects = jsonObjects(resumed.stdout);
        const notes = objects.map((o) => o.note).filter((note) => typeof note === "string");
        const result = objects.find(isBackupJson);
        assert.ok(result, `${label}: no result from backup --resume\n${resumed.stdout}`);
        if (checkpointLeft) {
          assert.ok(
            notes.some((note) => /^resuming: [1-9]\d* segments already stored/.test(note)),
            `${label}: a checkpoint was left, yet backup --resume did not resume (${notes.join("; ")})`,
          );
          assert.ok(
            result.stored < fresh.stored && result.read < fresh.read,
            `${label}: the resumed backup read ${result.read} and stored ${result.stored} bytes, ` +
              `no less than a fresh one (${fresh.read}, ${fresh.stored})`,
          );
        }
        const out = path.join(tmp.dir, "resumed.out");
        await assertRestoresIdentically(work, result.restorePoint, disk, out, label);
        return result;
      };
      const restoring = restoreAll();
      const resuming = resume();
      await waitAll([restoring, resuming]);
      const result = await resuming;
      if (checkpointLeft) resumedFromCheckpoint++;
      console.log(
        `${label}: ${stage} → check clean; resume ${checkpointLeft ? "continued" : "started over"}: ` +
          `read ${(result.read / MiB).toFixed(0)} MiB, stored ${(result.stored / MiB).toFixed(1)} MiB ` +
          `(${Math.round(performance.now() - started)} ms)`,
      );
    }
    rmSync(work, { recursive: true, force: true });
    assert.ok(
      killed >= Math.min(20, kills),
      `only ${killed} of ${kills} backups were still running when killed`,
    );
    assert.ok(resumedFromCheckpoint >= 1, "no kill came after a checkpoint, so --resume was never tested");
  });
});
