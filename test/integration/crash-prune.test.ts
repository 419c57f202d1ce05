/**
 * Crash safety of `prune`: on copies of one repository where `forget` has left packs to delete
 * and packs to rewrite, prune is killed with SIGKILL at many random moments. After each kill the
 * repository must pass `check --read-data`, every kept restore point must restore bit for bit,
 * the dead process's lock must not block anyone, and a second prune must finish the job and leave
 * a repository that passes `check --read-data` again.
 *
 * Kill moments are random fractions (from a seeded generator, spread evenly) of the measured
 * length of an uninterrupted prune. The seed is printed; SNAPFERRY_CRASH_SEED=<seed> replays the
 * same fractions, SNAPFERRY_CRASH_KILLS=<n> makes more or fewer kills.
 */
import assert from "node:assert/strict";
import { closeSync, ftruncateSync, openSync, rmSync, symlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, lastLine, requireTool } from "../support/cli.js";
import {
  CliRun,
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
  packBytes,
  packIds,
  repoFiles,
  waitAll,
  type RunEnd,
} from "../support/crash.js";
import { makeTempDir } from "../support/tmp.js";

const CHUNK = 256 * 1024;
/** A 64 MiB VM disk (56 MiB of data, then holes) of which each version changes a fifth. */
const DISK_CHUNKS = 256;
const DISK_DATA_CHUNKS = 224;
/** An 8 MiB scratch disk rewritten whole by each version: its forgotten versions free whole packs. */
const SCRATCH_CHUNKS = 32;
const MAX_TRIES = 3;

interface PruneJson {
  packsKept: number;
  packsRemoved: number;
  packsRepacked: number;
  orphanPacks: number;
}

function pruneResult(stdout: string): PruneJson | undefined {
  const found = jsonObjects(stdout).find((o) => typeof o.prune === "object" && o.prune !== null);
  return found?.prune as PruneJson | undefined;
}

/** Starts a backup and kills it as soon as a pack of it is in data/; returns the packs it left. */
async function killBackupAfterFirstPack(repo: string, image: string): Promise<string[]> {
  const before = new Set(packIds(repo));
  const newPacks = (): string[] => packIds(repo).filter((p) => !before.has(p));
  const run = new CliRun(["backup", "--repo", repo, image]);
  while (run.running && newPacks().length === 0) await new Promise((resolve) => setTimeout(resolve, 2));
  run.kill();
  const end = await run.done;
  assert.equal(end.signal, "SIGKILL", `the backup to be killed finished first\n${end.stdout}\n${end.stderr}`);
  assert.deepEqual(repoFiles(repo, "checkpoints"), [], "the killed backup wrote a checkpoint");
  return newPacks();
}

function writeImage(file: string, chunks: (Buffer | undefined)[]): void {
  const fd = openSync(file, "w");
  try {
    for (const [i, data] of chunks.entries()) if (data) writeSync(fd, data, 0, data.length, i * CHUNK);
    ftruncateSync(fd, chunks.length * CHUNK);
  } finally {
    closeSync(fd);
  }
}

describe("prune killed with SIGKILL at random moments", () => {
  const tmp = makeTempDir("crash-prune");
  const seed = crashSeed();
  const kills = crashKills(21);
  const template = path.join(tmp.dir, "template");
  const work = path.join(tmp.dir, "work");
  /** The restore points forget keeps, with the image each was taken from. */
  const kept = new Map<string, string>();
  let durationMs = 0;
  /** The packs a killed backup left in no index; the next backup stored their blobs again. */
  let orphans: string[] = [];
  /** Bytes in packs after an uninterrupted prune. */
  let prunedPackBytes = 0;

  before(async () => {
    requireTool("cmp", "diffutils");
    const rng = new SeededBytes("crash prune");
    await cliOk(["init", "--repo", template, "--chunk-size", "256K"]);
    await cheapenKeyFile(template);

    // Four versions of a VM disk, each changing a fifth of its chunks, and six of a scratch disk,
    // each new, backed up in turn; then forget keeps the last two of each. The oldest disk
    // versions' packs are now partly used (prune rewrites them), the oldest scratch packs unused
    // (prune deletes them). Each backup wrote an index file: prune replaces them all.
    const disk = path.join(tmp.dir, "disk.img");
    const scratch = path.join(tmp.dir, "scratch.img");
    let diskChunks = Array.from({ length: DISK_CHUNKS }, (_, i) =>
      i < DISK_DATA_CHUNKS ? rng.bytes(CHUNK) : undefined,
    );
    const points: { id: string; image: string }[] = [];
    const backUp = async (link: string, image: string, chunks: (Buffer | undefined)[]): Promise<void> => {
      writeImage(image, chunks);
      rmSync(link, { force: true });
      symlinkSync(image, link);
      points.push({ id: lastLine((await cliOk(["backup", "--repo", template, link])).stdout), image });
    };
    for (let v = 1; v <= 4; v++) {
      if (v > 1) diskChunks = diskChunks.map((c) => (c && rng.int(5) === 0 ? rng.bytes(CHUNK) : c));
      const image = path.join(tmp.dir, `disk-v${v}.img`);
      if (v === 1) {
        // A first try, while a big file still filled the end of the disk, is killed once its
        // first pack is in place, before any checkpoint. That pack (of the first chunks of v1)
        // stays, in no index, and the backup of v1 stores its blobs anew.
        const tail = Array.from({ length: 512 }, () => rng.bytes(CHUNK));
        writeImage(path.join(tmp.dir, "disk-v0.img"), [...diskChunks, ...tail]);
        symlinkSync(path.join(tmp.dir, "disk-v0.img"), disk);
        orphans = await killBackupAfterFirstPack(template, disk);
      }
      await backUp(disk, image, diskChunks);
      for (let s = 1; s <= 2 && v < 4; s++) {
        const scratchChunks = Array.from({ length: SCRATCH_CHUNKS }, () => rng.bytes(CHUNK));
        await backUp(scratch, path.join(tmp.dir, `scratch-v${v}-${s}.img`), scratchChunks);
      }
    }
    const forget = jsonObjects(
      (await cliOk(["forget", "--repo", template, "--keep-last", "2", "--json"])).stdout,
    );
    const keep = (forget[0]?.keep ?? []) as { id: string }[];
    for (const { id } of keep) {
      const point = points.find((p) => p.id === id);
      assert.ok(point, `forget kept an unknown restore point ${id}`);
      kept.set(id, point.image);
    }
    assert.equal(kept.size, 4, "forget should keep two restore points of each disk");
    assert.deepEqual(repoFiles(template, "snapshots"), [...kept.keys()].sort());

    // Uninterrupted prunes, on copies: how long one lasts, and that it deletes and rewrites.
    const times: number[] = [];
    let report: PruneJson | undefined;
    for (let i = 0; i < 3; i++) {
      copyRepository(template, work);
      const end = await new CliRun(["prune", "--repo", work, "--json"]).done;
      assert.equal(end.code, 0, `the uninterrupted prune failed\n${end.stdout}\n${end.stderr}`);
      report = pruneResult(end.stdout);
      times.push(end.ms);
    }
    assert.ok(report);
    durationMs = median(times);
    console.log(
      `uninterrupted prune: ran ${times.map(Math.round).join(", ")} ms; ` +
        `${packIds(template).length} packs before, ${JSON.stringify(report)}`,
    );
    assert.ok(
      report.packsRemoved > 0 && report.packsRepacked > 0,
      "prune must both delete and rewrite packs",
    );
    assert.equal(report.orphanPacks, orphans.length, "prune should take in the killed backup's packs");
    assert.ok(
      !packIds(work).some((p) => orphans.includes(p)),
      "prune kept a pack of the killed backup, whose blobs are stored elsewhere or unused",
    );
    await assertCheckClean(work, "uninterrupted prune");
    prunedPackBytes = packBytes(work);
  });

  after(() => tmp.cleanup());

  it("leaves a sound repository after every kill, and a second prune finishes the job", async () => {
    const fractions = killFractions(new Prng(seed), kills);
    console.log(
      `crash seed ${seed} (replay with SNAPFERRY_CRASH_SEED=${seed}); kills at these fractions of ` +
        `${Math.round(durationMs)} ms: ${fractions.map((f) => f.toFixed(3)).join(", ")}`,
    );
    const packsBefore = new Set(packIds(template));
    const indexBefore = new Set(repoFiles(template, "index"));
    let killed = 0;
    for (const [n, fraction] of fractions.entries()) {
      const started = performance.now();
      let label = "";
      let run: CliRun | undefined;
      let end: RunEnd | undefined;
      for (let tries = 1; tries <= MAX_TRIES; tries++) {
        const moment = Math.round(fraction * durationMs);
        label = `kill ${n + 1}/${kills} at ${moment} ms (seed ${seed})`;
        copyRepository(template, work);
        run = new CliRun(["prune", "--repo", work, "--json"]);
        end = await run.killAt(moment);
        if (end.signal === "SIGKILL") break;
        assert.equal(end.code, 0, `${label}: prune failed before the kill\n${end.stdout}\n${end.stderr}`);
        // Faster than measured: the kill came too late. Aim again, at the same fraction of this run.
        console.log(`${label}: prune had finished after ${Math.round(end.ms)} ms; aiming again`);
        durationMs = end.ms;
      }
      assert.ok(run && end);
      if (end.signal === "SIGKILL") killed++;

      // What the dead process left behind.
      const packs = new Set(packIds(work));
      const index = new Set(repoFiles(work, "index"));
      const stage = [
        end.signal === "SIGKILL" ? "killed" : "had finished",
        lockPids(work).includes(run.pid) ? "lock left" : "no lock",
        `${[...packs].filter((p) => !packsBefore.has(p)).length} new packs`,
        `${[...index].filter((f) => !indexBefore.has(f)).length} new index files`,
        `${[...indexBefore].filter((f) => !index.has(f)).length} of ${indexBefore.size} old index files deleted`,
        `${[...packsBefore].filter((p) => !packs.has(p)).length} of ${packsBefore.size} old packs deleted`,
        repoFiles(work, "tmp").some((f) => f.endsWith(".pack"))
          ? "a pack half written"
          : "no pack half written",
      ].join("; ");

      // The dead process's lock is broken by the next command (check takes an exclusive one).
      await assertCheckClean(work, `${label} (${stage})`);
      assert.deepEqual(lockPids(work), [], `${label}: a lock is left after check`);

      // Every kept restore point restores bit for bit.
      await waitAll(
        [...kept].map(([id, image], i) =>
          assertRestoresIdentically(work, id, image, path.join(tmp.dir, `restored-${i}.out`), label),
        ),
      );

      // A second prune finishes the job: afterwards no pack is left out of the index.
      const again = await cliOk(["prune", "--repo", work, "--json"]);
      const report = pruneResult(again.stdout);
      assert.ok(report, `${label}: no result from the second prune\n${again.stdout}`);
      const checked = await assertCheckClean(work, `${label}, pruned again`);
      assert.deepEqual(checked.notes, [], `${label}: packs are left out of the index after a full prune`);
      assert.ok(
        !packIds(work).some((p) => orphans.includes(p)),
        `${label}: a pack of the killed backup survived two prunes`,
      );
      // And the space is freed as by an uninterrupted prune (which leaves a pack alone while less
      // than 5% of it is unused), copies of blobs written by the killed prune included.
      const bytes = packBytes(work);
      assert.ok(
        bytes <= prunedPackBytes * 1.05,
        `${label}: ${bytes} bytes are left in packs after the second prune, an uninterrupted prune leaves ${prunedPackBytes}`,
      );
      console.log(
        `${label}: ${stage} → check clean, restores identical; pruned again (${JSON.stringify(report)}), ` +
          `check clean; ${bytes} bytes in packs, ${bytes - prunedPackBytes} more than after an uninterrupted prune ` +
          `(${Math.round(performance.now() - started)} ms)`,
      );
    }
    rmSync(work, { recursive: true, force: true });
    assert.ok(
      killed >= Math.min(20, kills),
      `only ${killed} of ${kills} prunes were still running when killed`,
    );
  });
});
