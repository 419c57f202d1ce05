/**
 * The app's file-level restore and instant recovery calls over the real services: a disk image
 * with an MBR and an ext4 partition backed up into an encrypted repository, browsed and extracted
 * with 7-Zip, zipped, then served over NBD, written to by qemu-io, and finalized to a raw file
 * that holds the backup plus that write. Shutdown must stop what is still running.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawn } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import { FileSessions, sevenZipHint } from "../../main/services/app-files.js";
import type { FileBrowser } from "../../main/services/file-restore-service.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import { EventLog, failure, ok } from "../support/app-events.js";
import { requireTool } from "../support/cli.js";
import { assembleDisk, ext4Partition, MiB, sh, writeSource } from "../support/flr-fixtures.js";
import { makeTempDir } from "../support/tmp.js";

const PASSWORD = "app files and instant passphrase";
const sha256 = (data: Buffer): string => createHash("sha256").update(data).digest("hex");

/** Runs a client without blocking: the NBD server it talks to lives in this very process. */
function client(
  cmd: string,
  args: string[],
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (status) => resolve({ status, stdout, stderr }));
  });
}

describe("files.* and instant.* over the real services", () => {
  const tmp = makeTempDir("app-files-instant");
  const dir = tmp.dir;
  const log = new EventLog();
  const internal: string[] = [];
  const image = path.join(dir, "disk.raw");
  const report = Buffer.from(Array.from({ length: 20_000 }, (_, i) => `row ${i}\n`).join(""));
  let catalog: Catalog;
  let api: AppApi;
  let repositoryId = "";
  let restorePointId = "";
  let sessionId = "";

  before(async () => {
    requireTool("7zz", "7zip");
    requireTool("qemu-io", "qemu-utils");
    requireTool("nbdinfo", "libnbd-bin");
    const src = path.join(dir, "src");
    const mtime = new Date("2025-03-04T05:06:07Z");
    writeSource(path.join(src, "srv", "report.csv"), report, mtime);
    writeSource(path.join(src, "etc", "hostname"), "files01\n", mtime);
    ext4Partition(path.join(dir, "p1.ext4"), 32 * MiB, src);
    assembleDisk(image, 40 * MiB, "dos", [
      { file: path.join(dir, "p1.ext4"), start: MiB, size: 32 * MiB, type: "83" },
    ]);
    // Overlays of "Run from backup" go to the app's data folder: this test's own.
    process.env.SNAPFERRY_DATA_DIR = path.join(dir, "app-data");
    catalog = openCatalog(path.join(dir, "catalog.sqlite"));
    api = createAppApi({
      catalog,
      credentials: new MemoryCredentialStore(),
      events: log.push,
      door: "bridge",
      log: (m) => internal.push(m),
      knownServersFile: path.join(dir, "known-servers.json"),
    });
    const repo = ok(
      await api.call("repositories.create", {
        path: path.join(dir, "repo"),
        encryption: "aes256gcm",
        password: PASSWORD,
        rememberPassword: true,
      }),
    );
    repositoryId = repo.repositoryId;
    const source = ok(await api.call("sources.addLocal", { path: image }));
    const { runId } = ok(
      await api.call("jobs.backup", {
        sourceId: source.id,
        repositoryId,
        type: "full",
        allowCrashConsistent: true,
      }),
    );
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    restorePointId = run.restorePointId ?? "";
  });

  after(async () => {
    await api.shutdown();
    catalog.close();
    tmp.cleanup();
  });

  it("opens the disk: its partition, and 7-Zip found", async () => {
    const opened = ok(await api.call("files.open", { repositoryId, restorePointId }));
    sessionId = opened.sessionId;
    assert.deepEqual(opened.sevenZip, { found: true, hint: null });
    assert.equal(opened.partitions.length, 1);
    assert.equal(opened.partitions[0]?.number, 1);
    assert.equal(opened.partitions[0]?.start, MiB);
    assert.equal(opened.partitions[0]?.size, 32 * MiB);
  });

  it("lists a folder and searches by name", async () => {
    const srv = ok(await api.call("files.list", { sessionId, path: "1:/srv" }));
    assert.deepEqual(
      srv.map((e) => [e.path, e.type, e.size, e.mtime]),
      [["/srv/report.csv", "file", report.length, "2025-03-04T05:06:07.000Z"]],
    );
    const found = ok(await api.call("files.search", { sessionId, partition: 1, query: "hostname" }));
    assert.deepEqual(
      found.map((e) => e.path),
      ["/etc/hostname"],
    );
  });

  it("extracts a file in a restore run with progress; its sha256 matches", async () => {
    const target = path.join(dir, "out");
    const { runId } = ok(
      await api.call("files.extract", { sessionId, paths: ["1:/srv/report.csv"], target }),
    );
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.equal(run.kind, "restore");
    assert.equal(sha256(readFileSync(path.join(target, "report.csv"))), sha256(report));
    const progress = log.progressOf(runId).map((p) => p.progress);
    assert.ok(progress.length > 0, "progress was reported");
    assert.ok(progress.every((p) => p.operation === "restore" && p.bytesDone <= p.bytesTotal));
  });

  it("zips a folder in a run; 7-Zip lists what it holds", async () => {
    const file = path.join(dir, "etc.zip");
    const { runId } = ok(
      await api.call("files.archive", { sessionId, paths: ["1:/etc"], file, format: "zip" }),
    );
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.match(sh("7zz", ["l", file]), /etc\/hostname/);
  });

  it("closes the session; a closed session is named, not a crash", async () => {
    assert.deepEqual(ok(await api.call("files.close", { sessionId })), { closed: true });
    assert.deepEqual(ok(await api.call("files.close", { sessionId })), { closed: false });
    const error = failure(await api.call("files.list", { sessionId, path: "1:/" }));
    assert.equal(error.code, "not-found");
    assert.match(error.message, /file browser session .* is closed/);
  });

  it("serves the restore point over NBD, finalizes it with a client's write, and removes the overlay", async () => {
    const view = ok(await api.call("instant.start", { repositoryId, restorePointId, port: 0 }));
    assert.match(view.url, /^nbd:\/\/127\.0\.0\.1:\d+\/\S+$/);
    assert.equal(view.size, 40 * MiB);
    const info = await client("nbdinfo", ["--size", view.url]);
    assert.equal(info.stdout.trim(), String(40 * MiB), info.stderr);
    const write = await client("qemu-io", ["-f", "raw", "-c", "write -P 0xab 0 64k", view.url]);
    assert.equal(write.status, 0, write.stderr);
    const listed = ok(await api.call("instant.list", {}));
    assert.equal(listed.length, 1);
    assert.ok((listed[0]?.overlayBytes ?? 0) >= 64 * 1024, `overlay: ${listed[0]?.overlayBytes}`);

    const target = path.join(dir, "final.raw");
    const { runId } = ok(
      await api.call("instant.finalize", { sessionId: view.sessionId, path: target, format: "raw" }),
    );
    assert.deepEqual(ok(await api.call("instant.list", {})), [], "serving stopped before finalizing");
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    const final = readFileSync(target);
    const original = readFileSync(image);
    assert.ok(
      final.subarray(0, 64 * 1024).every((b) => b === 0xab),
      "the client's write is in the file",
    );
    assert.ok(final.subarray(64 * 1024).equals(original.subarray(64 * 1024)), "the rest is the backup");
    assert.equal(existsSync(view.overlay), false, "the overlay is removed once finalized");
  });

  it("stops on request and on shutdown keeping the VM's writes, and discards them only when asked", async () => {
    const kept = ok(await api.call("instant.start", { repositoryId, restorePointId, port: 0 }));
    assert.deepEqual(ok(await api.call("instant.stop", { sessionId: kept.sessionId })), { stopped: true });
    assert.equal(existsSync(kept.overlay), true, "Stop keeps the overlay");
    const first = ok(await api.call("instant.start", { repositoryId, restorePointId, port: 0 }));
    assert.notEqual(first.overlay, kept.overlay, "a new recovery never picks up an old overlay");
    assert.deepEqual(ok(await api.call("instant.stop", { sessionId: first.sessionId, discard: true })), {
      stopped: true,
    });
    assert.equal(existsSync(first.overlay), false, "Stop and discard removes it");
    assert.notEqual((await client("nbdinfo", ["--size", first.url])).status, 0, "nothing serves it any more");
    assert.deepEqual(ok(await api.call("instant.stop", { sessionId: first.sessionId })), { stopped: false });

    const second = ok(await api.call("instant.start", { repositoryId, restorePointId, port: 0 }));
    await api.shutdown();
    assert.notEqual((await client("nbdinfo", ["--size", second.url])).status, 0, "shutdown stopped it");
    assert.equal(existsSync(second.overlay), true, "quitting the app keeps the VM's writes");
  });
});

describe("file sessions", () => {
  it("close after 30 minutes unused, but not while an extract runs", async () => {
    const closed: string[] = [];
    const sessions = new FileSessions(() => undefined, 1000);
    // Only close() is called by the session bookkeeping tested here; the real browser is tested above.
    const browser = (name: string): FileBrowser =>
      ({ close: () => Promise.resolve(void closed.push(name)) }) as unknown as FileBrowser;
    const idle = sessions.add({ browser: browser("idle"), repositoryId: "r", label: "idle" });
    const busy = sessions.add({ browser: browser("busy"), repositoryId: "r", label: "busy" });
    sessions.get(busy).busy++;
    await sessions.closeIdle(Date.now() + 2000);
    assert.deepEqual(closed, ["idle"]);
    assert.throws(() => sessions.get(idle), /is closed/);
    await sessions.shutdown();
    assert.deepEqual(closed, ["idle", "busy"]);
  });

  it("close a session closed by the user during an extract only when the extract ends", async () => {
    const closed: string[] = [];
    const sessions = new FileSessions(() => undefined);
    const id = sessions.add({
      browser: { close: () => Promise.resolve(void closed.push("one")) } as unknown as FileBrowser,
      repositoryId: "r",
      label: "one",
    });
    const session = sessions.get(id);
    session.busy++;
    assert.equal(await sessions.close(id), true);
    assert.deepEqual(closed, [], "still extracting");
    assert.throws(() => sessions.get(id), /is closed/, "but no new work is taken");
    await sessions.release(session);
    assert.deepEqual(closed, ["one"]);
    await sessions.shutdown();
  });

  it("say where to get 7-Zip on each platform", () => {
    assert.match(sevenZipHint("win32"), /https:\/\/www\.7-zip\.org\/download\.html/);
    assert.match(sevenZipHint("darwin"), /https:\/\/www\.7-zip\.org\/download\.html/);
    assert.match(sevenZipHint("linux"), /apt install 7zip/);
  });
});
