/**
 * The app's API (the contract's implementation) over real things: a real SQLite catalog, a real
 * encrypted repository made by the services, a generated disk image, qemu-img as the oracle of
 * the restored qcow2. Only the keychain is the in-memory CredentialStore (the real one is tested
 * against gnome-keyring in keychain.test.ts).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { closeSync, existsSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { ProgressEvent } from "../../main/engines/progress.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import type { RunPhase } from "../../preload/contract.js";
import { EventLog, failure, ok } from "../support/app-events.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

const MiB = 1024 * 1024;
const PASSWORD = "app api test passphrase 7f3a";
const OTHER_PASSWORD = "a second repository's passphrase";

/** A sparse raw image: data, a hole, data; returns nothing, the file is the fixture. */
function writeImage(file: string, size: number, seed: string, dataRanges: [number, number][]): void {
  const bytes = new SeededBytes(seed);
  const fd = openSync(file, "w");
  try {
    ftruncateSync(fd, size);
    for (const [offset, length] of dataRanges) writeSync(fd, bytes.bytes(length), 0, length, offset);
  } finally {
    closeSync(fd);
  }
}

/** The run's progress events with the phase main named on each. */
function progressWithPhases(
  log: EventLog,
  runId: string,
): { at: number; progress: ProgressEvent; phase?: RunPhase }[] {
  return log.events.flatMap(({ at, event }) =>
    event.type === "progress" && event.runId === runId
      ? [{ at, progress: event.progress, ...(event.phase ? { phase: event.phase } : {}) }]
      : [],
  );
}

/** The phases in the order they began: consecutive repeats collapsed. */
function phaseSequence(events: { phase?: RunPhase }[]): (RunPhase | undefined)[] {
  return events.map((e) => e.phase).filter((phase, i, all) => i === 0 || phase !== all[i - 1]);
}

describe("the app's API over the real services", () => {
  const tmp = makeTempDir("app-api");
  const dir = tmp.dir;
  const log = new EventLog();
  const internalLog: string[] = [];
  const credentials = new MemoryCredentialStore();
  const image = path.join(dir, "disk.img");
  const bigImage = path.join(dir, "big.img");
  let catalog: Catalog;
  let api: AppApi;
  let repositoryId = "";
  let sourceId = "";
  let restorePointId = "";

  before(() => {
    writeImage(image, 40 * MiB, "app-api small", [
      [0, 12 * MiB],
      [28 * MiB, 6 * MiB],
    ]);
    writeImage(bigImage, 256 * MiB, "app-api big", [[0, 256 * MiB]]);
    catalog = openCatalog(path.join(dir, "catalog.sqlite"));
    api = createAppApi({
      catalog,
      credentials,
      events: log.push,
      door: "bridge",
      log: (m) => internalLog.push(m),
      knownServersFile: path.join(dir, "known-servers.json"),
    });
  });

  after(async () => {
    await api.shutdown();
    catalog.close();
    tmp.cleanup();
  });

  it("creates an encrypted repository and keeps its password in the keychain only", async () => {
    const repo = ok(
      await api.call("repositories.create", {
        path: path.join(dir, "repo"),
        encryption: "aes256gcm",
        password: PASSWORD,
        rememberPassword: true,
      }),
    );
    repositoryId = repo.repositoryId;
    assert.equal(repo.encryption, "aes256gcm");
    assert.equal(repo.passwordSaved, true);
    assert.equal(await credentials.get("snapferry-repository", repositoryId), PASSWORD);
    const listed = ok(await api.call("repositories.list", {}));
    assert.deepEqual(
      listed.map((r) => [r.repositoryId, r.passwordSaved]),
      [[repositoryId, true]],
    );
    const info = ok(await api.call("app.info", {}));
    assert.equal(info.door, "bridge");
    assert.equal(info.keychain, "available");
  });

  it("adds a local image as a source and reads its inventory", async () => {
    const source = ok(await api.call("sources.addLocal", { path: image }));
    sourceId = source.id;
    assert.equal(source.kind, "image");
    assert.equal(source.location, image);
    const again = ok(await api.call("sources.addLocal", { path: image }));
    assert.equal(again.id, source.id, "adding the same path twice gives the same source");
    const inventory = ok(await api.call("sources.inventory", { sourceId }));
    assert.deepEqual(inventory, {
      kind: "local",
      vms: [{ name: "disk.img", uuid: null, disks: [{ name: "disk.img", size: 40 * MiB, chainDepth: 1 }] }],
    });
    const missing = failure(await api.call("sources.addLocal", { path: path.join(dir, "nothing-here.img") }));
    assert.equal(missing.code, "source");
  });

  it("backs up in the background with throttled progress up to 100% and a succeeded run", async () => {
    const { runId } = ok(
      await api.call("jobs.backup", {
        sourceId,
        repositoryId,
        type: "incremental",
        allowCrashConsistent: false,
      }),
    );
    const started = log.runEvents(runId)[0];
    assert.equal(started?.status, "running", "the run is announced as it starts");
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.ok(run.restorePointId);
    restorePointId = run.restorePointId;
    assert.equal(run.bytesRead, 18 * MiB, "only the allocated extents are read");
    assert.ok(run.bytesStored > 0 && run.bytesStored < 20 * MiB);

    const progress = log.progressOf(runId);
    const last = progress.at(-1)?.progress;
    assert.ok(last, "progress events were sent");
    assert.equal(last.final, true);
    assert.equal(last.bytesDone, last.bytesTotal, "progress reaches 100%");
    assert.equal(last.bytesTotal, 40 * MiB);
    // A phase change goes out at once, whatever the throttle; the figures between are throttled.
    const phased = progressWithPhases(log, runId);
    const regular = phased.filter((p, i) => !p.progress.final && p.phase === phased[i - 1]?.phase);
    for (let i = 1; i < regular.length; i++) {
      const gap = (regular[i]?.at ?? 0) - (regular[i - 1]?.at ?? 0);
      assert.ok(gap >= 90, `progress events at most ~10 per second (gap ${gap} ms)`);
    }

    assert.ok(
      phased.every((p) => p.phase !== undefined),
      "every progress event names its phase",
    );
    assert.deepEqual(
      phaseSequence(phased),
      ["pre-check", "transfer", "commit"],
      "an image backup goes through its phases in order, each once",
    );
    assert.equal(phased.at(-1)?.phase, "commit", "the final event is the commit's");

    const history = ok(await api.call("runs.list", { limit: 10 }));
    assert.equal(history[0]?.id, runId);
    assert.equal(history[0]?.status, "succeeded");
    assert.ok(history[0]?.jobId, "the backup is kept as a job definition for “Back up now”");
    const logs = ok(await api.call("runs.logs", { runId }));
    assert.ok(Array.isArray(logs));
  });

  it("lists the restore point from the catalog's cache and from the repository", async () => {
    const cached = ok(await api.call("restorePoints.list", { repositoryId, refresh: false }));
    assert.deepEqual(
      cached.map((p) => [p.id, p.type, p.sourceKind, p.disks]),
      [[restorePointId, "full", "image", [{ index: 0, name: "disk.img", size: 40 * MiB }]]],
    );
    const fresh = ok(await api.call("restorePoints.list", { repositoryId, refresh: true }));
    assert.deepEqual(
      fresh.map((p) => p.id),
      [restorePointId],
    );
    const stats = ok(await api.call("repositories.stats", { repositoryId }));
    assert.equal(stats.restorePoints, 1);
    assert.equal(stats.logicalBytes, 40 * MiB);
    assert.ok(stats.storedBytes > 0);
  });

  it("restores the disk to qcow2, identical to the source by qemu-img compare", async () => {
    requireTool("qemu-img", "qemu-utils");
    const target = path.join(dir, "restored.qcow2");
    const { runId } = ok(
      await api.call("jobs.restore", {
        repositoryId,
        restorePointId,
        target: { kind: "file", path: target, format: "qcow2" },
      }),
    );
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.equal(log.progressOf(runId).at(-1)?.progress.final, true);
    const compare = spawnSync("qemu-img", ["compare", "-f", "raw", image, "-F", "qcow2", target], {
      encoding: "utf8",
    });
    assert.equal(compare.status, 0, `qemu-img compare: ${compare.stdout}${compare.stderr}`);
    const logs = ok(await api.call("runs.logs", { runId }));
    assert.ok(logs.some((l) => l.message === `restored ${target}`));
  });

  it("cancels a running backup, which leaves the repository clean", async () => {
    const big = ok(await api.call("sources.addLocal", { path: bigImage }));
    const { runId } = ok(
      await api.call("jobs.backup", {
        sourceId: big.id,
        repositoryId,
        type: "active-full",
        allowCrashConsistent: false,
      }),
    );
    const deadline = Date.now() + 60_000;
    // The first event with a disk comes as its reading starts: cancel the job while it reads.
    while (!log.progressOf(runId).some((p) => p.progress.disk !== null)) {
      assert.ok(Date.now() < deadline, "the backup started reading");
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(ok(await api.call("jobs.cancel", { runId })), { cancelled: true });
    const run = await log.ended(runId);
    assert.equal(run.status, "cancelled");
    assert.equal(run.restorePointId, null);
    const done = log.progressOf(runId).at(-1)?.progress;
    assert.ok(done && done.bytesDone < done.bytesTotal, "it stopped part-way");
    assert.deepEqual(ok(await api.call("jobs.cancel", { runId })), { cancelled: false });

    const check = ok(await api.call("repositories.check", { repositoryId, readData: true }));
    const checked = await log.ended(check.runId);
    assert.equal(checked.status, "succeeded", checked.error ?? "");
    const points = ok(await api.call("restorePoints.list", { repositoryId, refresh: false }));
    assert.deepEqual(
      points.map((p) => p.id),
      [restorePointId],
    );
    assert.ok(points[0]?.verifiedAt, "check --read-data marks the restore points verified");
  });

  it("asks for a password it does not have, and names a wrong one", async () => {
    const second = ok(
      await api.call("repositories.create", {
        path: path.join(dir, "repo2"),
        encryption: "aes256gcm",
        password: OTHER_PASSWORD,
        rememberPassword: false,
      }),
    );
    assert.equal(second.passwordSaved, false);
    const input = {
      sourceId,
      repositoryId: second.repositoryId,
      type: "full",
      allowCrashConsistent: false,
    } as const;
    const missing = failure(await api.call("jobs.backup", input));
    assert.equal(missing.code, "wrong-password");
    assert.deepEqual(missing.details, {
      repositoryId: second.repositoryId,
      field: "password",
      reason: "missing",
    });
    const wrong = failure(await api.call("jobs.backup", { ...input, password: "not it" }));
    assert.equal(wrong.code, "wrong-password");
    assert.equal(wrong.details?.reason, "wrong");
    const { runId } = ok(await api.call("jobs.backup", { ...input, password: OTHER_PASSWORD }));
    assert.equal((await log.ended(runId)).status, "succeeded");

    // "Open existing repository" on a fresh catalog, with the password typed and remembered.
    const fresh = openCatalog(path.join(dir, "fresh-catalog.sqlite"));
    const freshApi = createAppApi({ catalog: fresh, credentials, events: () => undefined, door: "bridge" });
    try {
      const opened = ok(
        await freshApi.call("repositories.open", {
          path: path.join(dir, "repo2"),
          password: OTHER_PASSWORD,
          rememberPassword: true,
        }),
      );
      assert.equal(opened.repositoryId, second.repositoryId);
      assert.equal(opened.passwordSaved, true);
      const points = ok(
        await freshApi.call("restorePoints.list", { repositoryId: opened.repositoryId, refresh: false }),
      );
      assert.equal(points.length, 1);
    } finally {
      await freshApi.shutdown();
      fresh.close();
    }
  });

  it("refuses bad input with a usage error and acts on none of it", async () => {
    const runsBefore = ok(await api.call("runs.list", {})).length;
    const cases: [unknown, unknown, string][] = [
      ["jobs.backup", { sourceId: 5, repositoryId, type: "full", allowCrashConsistent: false }, "sourceId"],
      ["jobs.backup", { sourceId, repositoryId, type: "yearly", allowCrashConsistent: false }, "type"],
      [
        "jobs.restore",
        { repositoryId, restorePointId, target: { kind: "vsphere-original" } },
        "target.confirmOverwrite",
      ],
      ["sources.addLocal", { path: "x".repeat(5000) }, "path"],
      [
        "repositories.create",
        { path: path.join(dir, "never"), encryption: "rot13", rememberPassword: true },
        "encryption",
      ],
      ["runs.list", { limit: -1 }, "limit"],
      ["runs.logs", { runId: "../../etc/passwd" }, "runId"],
      ["app.info", "not an object", "input"],
      ["sources.list", null, "input"],
    ];
    for (const [name, input, field] of cases) {
      const error = failure(await api.handle(name, input));
      assert.equal(error.code, "usage", `${String(name)}: ${error.message}`);
      assert.equal(error.details?.field, field, `${String(name)}: ${error.message}`);
    }
    const unknown = failure(await api.handle("repositories.destroyEverything", {}));
    assert.equal(unknown.code, "usage");
    assert.equal(failure(await api.handle(42, {})).code, "usage");
    assert.equal(failure(await api.handle("__proto__", {})).code, "usage");
    assert.equal(failure(await api.handle("toString", {})).code, "usage");

    const secret = "hunter2-typed-into-the-wrong-field";
    const leaky = failure(
      await api.handle("repositories.open", { path: 42, password: secret, rememberPassword: "yes" }),
    );
    assert.ok(!leaky.message.includes(secret), "an error never repeats what was typed");
    assert.equal(existsSync(path.join(dir, "never")), false, "nothing was created");
    assert.equal(ok(await api.call("runs.list", {})).length, runsBefore, "no run was started");
  });

  it("keeps every password out of the catalog file, the events and the log", () => {
    for (const file of ["catalog.sqlite", "catalog.sqlite-wal", "fresh-catalog.sqlite"]) {
      const where = path.join(dir, file);
      if (!existsSync(where)) continue;
      const bytes = readFileSync(where);
      for (const secret of [PASSWORD, OTHER_PASSWORD]) {
        assert.equal(bytes.includes(Buffer.from(secret)), false, `${file} holds no password`);
      }
    }
    const said = JSON.stringify(log.events) + internalLog.join("\n");
    for (const secret of [PASSWORD, OTHER_PASSWORD]) assert.ok(!said.includes(secret));
    assert.deepEqual(internalLog, [], "no unexpected error happened");
  });
});
