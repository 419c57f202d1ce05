/**
 * A backup the app cancels part-way, and the app's next backup of the same source: the cancel
 * must leave no file open (a pack started by chunks still in flight was once left for the garbage
 * collector to close), and the next backup must continue from the checkpoint, as the app has no
 * --resume to ask for it. Real catalog, real encrypted repository, real image; `cmp` is the oracle.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, readlinkSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import { initRepository } from "../../main/services/repository-service.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import { EventLog, ok } from "../support/app-events.js";
import { makeTempDir } from "../support/tmp.js";

const MiB = 1024 * 1024;
const PASSWORD = "app resume test passphrase 31c9";
/** 256 KiB chunks make 64 MiB segments, so a third of the image holds finished segments. */
const CHUNK_SIZE = 256 * 1024;
const SEGMENT = 256 * CHUNK_SIZE;
const IMAGE_SIZE = 384 * MiB;

/** The files this process has open under `dir` (Linux: /proc/self/fd). */
function openFilesUnder(dir: string): string[] {
  const open: string[] = [];
  for (const fd of readdirSync("/proc/self/fd")) {
    try {
      const target = readlinkSync(path.join("/proc/self/fd", fd));
      if (target.startsWith(dir + path.sep) || target === dir) open.push(`fd ${fd} → ${target}`);
    } catch {
      // The fd readdir itself used, closed since.
    }
  }
  return open;
}

describe("the app resumes a backup it cancelled", () => {
  const tmp = makeTempDir("app-resume");
  const dir = tmp.dir;
  const log = new EventLog();
  const image = path.join(dir, "disk.img");
  const repoPath = path.join(dir, "repo");
  let catalog: Catalog;
  let api: AppApi;
  let repositoryId = "";
  let sourceId = "";

  before(async () => {
    const bytes = new SeededBytes("app-resume");
    const fd = openSync(image, "w");
    try {
      for (let at = 0; at < IMAGE_SIZE; at += 8 * MiB) writeSync(fd, bytes.bytes(8 * MiB));
    } finally {
      closeSync(fd);
    }
    // The app makes repositories with the default chunk size; small chunks keep the image small.
    await initRepository({
      repo: repoPath,
      encryption: "aes256gcm",
      chunkSize: CHUNK_SIZE,
      password: async () => PASSWORD,
    });
    catalog = openCatalog(path.join(dir, "catalog.sqlite"));
    api = createAppApi({
      catalog,
      credentials: new MemoryCredentialStore(),
      events: log.push,
      door: "bridge",
      log: () => undefined,
      knownServersFile: path.join(dir, "known-servers.json"),
    });
    repositoryId = ok(
      await api.call("repositories.open", { path: repoPath, password: PASSWORD, rememberPassword: true }),
    ).repositoryId;
    sourceId = ok(await api.call("sources.addLocal", { path: image })).id;
  });

  after(async () => {
    await api.shutdown();
    catalog.close();
    tmp.cleanup();
  });

  const backupNow = async (): Promise<string> =>
    ok(
      await api.call("jobs.backup", {
        sourceId,
        repositoryId,
        type: "incremental",
        allowCrashConsistent: false,
      }),
    ).runId;

  const notesOf = async (runId: string): Promise<string[]> =>
    ok(await api.call("runs.logs", { runId })).map((l) => l.message);

  it("cancels after a segment is stored, keeps a checkpoint and leaves no file open", async () => {
    const runId = await backupNow();
    const deadline = Date.now() + 120_000;
    // Past two segments, at least one segment's chunk list is stored: the cancel keeps it.
    while ((log.progressOf(runId).at(-1)?.progress.bytesDone ?? 0) < 2 * SEGMENT) {
      assert.ok(Date.now() < deadline, "the backup got past its first segments");
      assert.equal(
        log.runEvents(runId).at(-1)?.status,
        "running",
        "the backup ended before it could be cancelled",
      );
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(ok(await api.call("jobs.cancel", { runId })), { cancelled: true });
    const run = await log.ended(runId);
    assert.equal(run.status, "cancelled", run.error ?? "");
    const done = log.progressOf(runId).at(-1)?.progress;
    assert.ok(done && done.bytesDone < done.bytesTotal, "it stopped part-way");

    // Chunks in flight at the cancel once opened a new pack after the last flush; nobody closed it,
    // and Node closed it on garbage collection ("Closing file descriptor N on garbage collection").
    assert.deepEqual(openFilesUnder(repoPath), [], "a cancelled backup leaves no repository file open");
    assert.deepEqual(openFilesUnder(image), [], "a cancelled backup closes its source");
    assert.deepEqual(readdirSync(path.join(repoPath, "tmp")), [], "no half-written pack is left in tmp/");
    const checkpoints = path.join(repoPath, "checkpoints");
    assert.ok(
      existsSync(checkpoints) && readdirSync(checkpoints).length === 1,
      "the cancel kept a checkpoint",
    );
  });

  it("continues from the checkpoint on the next backup, and restores bit for bit", async () => {
    const runId = await backupNow();
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.ok(run.restorePointId);
    const notes = await notesOf(runId);
    const resumed = notes.find((n) => /^resuming: \d+ segments already stored$/.test(n));
    assert.ok(resumed, `the backup said it resumed (notes: ${notes.join("; ")})`);
    assert.ok(!notes.some((n) => n.includes("--resume")), `no note names a CLI option: ${notes.join("; ")}`);
    // A fresh full stores the whole image (random data does not compress); the resumed run skips
    // at least the finished segment.
    assert.ok(
      run.bytesStored <= IMAGE_SIZE - SEGMENT,
      `the resumed run stored ${run.bytesStored} bytes: the stored segments were not reused`,
    );
    assert.ok(run.bytesRead <= IMAGE_SIZE - SEGMENT, `the resumed run read ${run.bytesRead} bytes`);
    assert.deepEqual(readdirSync(path.join(repoPath, "checkpoints")), [], "the checkpoint is gone");

    const target = path.join(dir, "restored.img");
    const restore = ok(
      await api.call("jobs.restore", {
        repositoryId,
        restorePointId: run.restorePointId,
        target: { kind: "file", path: target, format: "raw" },
      }),
    );
    const restored = await log.ended(restore.runId);
    assert.equal(restored.status, "succeeded", restored.error ?? "");
    execFileSync("cmp", [image, target]);

    const check = await log.ended(
      ok(await api.call("repositories.check", { repositoryId, readData: true })).runId,
    );
    assert.equal(check.status, "succeeded", check.error ?? "");
  });

  it("starts over quietly when there is nothing to resume", async () => {
    const runId = await backupNow();
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    const notes = await notesOf(runId);
    assert.ok(
      !notes.some((n) => /resum/.test(n)),
      `no resume note without a checkpoint: ${notes.join("; ")}`,
    );
  });
});
