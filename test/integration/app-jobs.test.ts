/**
 * Jobs, settings, dashboard and history filters through the app's API (the same implementation
 * the window and the bridge call), over real repositories, a real catalog and a real SMTP server;
 * and the scheduler started with the app runs a slot missed while it was closed, once.
 */
import assert from "node:assert/strict";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { JobView } from "../../preload/contract.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { JobSettings } from "../../main/jobs/job-settings.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import { AppPasswords } from "../../main/services/app-passwords.js";
import { MemoryCredentialStore } from "../../main/sources/vsphere/credential-store.js";
import { failure, ok } from "../support/app-events.js";
import { TEST_PASSWORD, cliOk } from "../support/cli.js";
import { MiB, backupJson } from "../support/repo-files.js";
import { loopbackEmail, startSmtpServer, type TestSmtpServer } from "../support/smtp-server.js";
import { makeTempDir } from "../support/tmp.js";

describe("jobs in the app", () => {
  const tmp = makeTempDir("app-jobs");
  const repoPath = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "files01.img");
  const idle = path.join(tmp.dir, "never-backed-up.img");
  let catalog: Catalog;
  let api: AppApi;
  let smtp: TestSmtpServer;
  let repositoryId = "";
  let sourceId = "";
  let loginAtStart = false;
  let job: JobView;

  const settings = (extra: Partial<JobSettings> = {}): JobSettings => ({
    version: 1,
    sourceId,
    selection: { kind: "source" },
    repositoryId,
    schedule: { kind: "weekdays", time: "21:30" },
    timeZone: "UTC",
    retention: { last: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
    copies: [],
    concurrency: 1,
    retries: { attempts: 0, backoffSeconds: 1 },
    allowCrashConsistent: false,
    ...extra,
  });

  before(async () => {
    smtp = await startSmtpServer("reports", "smtp pass");
    await cliOk(["init", "--repo", repoPath, "--chunk-size", "256K"]);
    const rng = new SeededBytes("app jobs");
    writeFileSync(image, rng.bytes(2 * MiB));
    writeFileSync(idle, rng.bytes(MiB));
    for (let i = 0; i < 3; i++) await backupJson(repoPath, image);
    catalog = openCatalog(path.join(tmp.dir, "catalog.sqlite"));
    repositoryId = (await openExistingRepository(catalog, { path: repoPath, password: TEST_PASSWORD }))
      .repository.repositoryId;
    sourceId = catalog.sources.add({ kind: "image", name: "files01", location: image, user: null }).id;
    const credentials = new MemoryCredentialStore();
    api = createAppApi({
      catalog,
      credentials,
      events: () => undefined,
      door: "bridge",
      log: () => undefined,
      loginItem: { get: () => loginAtStart, set: (v) => (loginAtStart = v) },
    });
    ok(
      await api.call("repositories.open", {
        path: repoPath,
        password: TEST_PASSWORD,
        rememberPassword: true,
      }),
    );
  });
  after(async () => {
    await api.shutdown();
    await smtp.close();
    catalog.close();
    tmp.cleanup();
  });

  it("refuses a job with a bad field, naming it, and saves a good one with its next run", async () => {
    const bad = failure(
      await api.call("jobs.save", { name: "nightly", settings: { ...settings(), concurrency: 9 } }),
    );
    assert.equal(bad.code, "config");
    assert.match(bad.message, /concurrency/);
    job = ok(await api.call("jobs.save", { name: "nightly", settings: { ...settings() } }));
    assert.equal(job.scheduleText, "Monday to Friday at 21:30");
    assert.match(job.nextRun ?? "", /T21:30:00\.000Z$/);
    assert.equal(ok(await api.call("jobs.list", {})).length, 1);
  });

  it("previews which restore points a retention policy keeps and removes", async () => {
    const preview = ok(
      await api.call("jobs.previewRetention", {
        repositoryId,
        sourceId,
        retention: { last: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
      }),
    );
    assert.equal(preview.keep.length, 2);
    assert.equal(preview.remove.length, 1);
    assert.deepEqual(preview.keep[0]?.reasons, ["last"]);
  });

  it("runs a job now, applies its retention, and finds its run by job, machine and status", async () => {
    const { runId } = ok(await api.call("jobs.run", { jobId: job.id }));
    await api.runs.idle();
    const byJob = ok(await api.call("runs.list", { jobId: job.id }));
    assert.deepEqual(
      byJob.map((r) => [r.id, r.status]),
      [[runId, "succeeded"]],
    );
    assert.equal(
      ok(await api.call("runs.list", { vm: "files01" }))[0]?.id,
      runId,
      "the machine's name is in the log",
    );
    assert.deepEqual(ok(await api.call("runs.list", { vm: "no-such-vm" })), []);
    assert.deepEqual(ok(await api.call("runs.list", { status: "failed" })), []);
    const log = ok(await api.call("runs.exportLog", { runId }));
    assert.match(log.text, /started by hand in the app/);
    assert.match(log.text, /retention: 2 restore point\(s\) removed/);
    const points = ok(await api.call("restorePoints.list", { repositoryId, refresh: true }));
    assert.equal(points.length, 2, "last 2 kept");
  });

  it("exports a job and imports it under another name", async () => {
    const exported = ok(await api.call("jobs.export", { jobId: job.id }));
    assert.equal(exported.fileName, "nightly.snapferry-job.json");
    const copy = ok(await api.call("jobs.import", { json: exported.json, name: "nightly (copy)" }));
    assert.deepEqual(copy.settings, job.settings);
    ok(await api.call("jobs.remove", { jobId: copy.id }));
  });

  it("keeps email settings without the password, which goes to the keychain, and sends a test message", async () => {
    const email = { ...loopbackEmail(smtp.port) };
    const saved = ok(await api.call("settings.saveEmail", { email, smtpPassword: "smtp pass" }));
    assert.equal(saved.smtpPasswordSaved, true);
    assert.ok(!JSON.stringify(catalog.settings.get("email")).includes("smtp pass"));
    const sent = ok(await api.call("settings.testEmail", {}));
    assert.deepEqual(sent, { sent: true, to: ["admin@office.example"] });
    assert.match(smtp.received.at(-1)?.raw.toString() ?? "", /Subject: \[Snapferry\] test message/);
    const login = ok(await api.call("settings.setStartAtLogin", { enabled: true }));
    assert.equal(login.startAtLogin, true);
    assert.equal(loginAtStart, true);
  });

  it("shows the dashboard: last result per job, space and the machines without a recent restore point", async () => {
    const other = ok(
      await api.call("jobs.save", {
        name: "idle",
        settings: {
          ...settings(),
          sourceId: catalog.sources.add({ kind: "image", name: "idle", location: idle, user: null }).id,
        },
      }),
    );
    const view = ok(await api.call("dashboard.get", { gapDays: 7 }));
    assert.equal(view.jobs.find((j) => j.jobId === job.id)?.lastRun?.status, "succeeded");
    assert.equal(view.jobs.find((j) => j.jobId === other.id)?.lastRun, null);
    const repo = view.repositories.find((r) => r.repositoryId === repositoryId);
    assert.ok((repo?.usedBytes ?? 0) > 0);
    assert.ok(typeof repo?.freeBytes === "number");
    assert.deepEqual(
      view.protectionGaps.map((g) => [g.name, g.newest]),
      [["idle", null]],
      "the job's machine that has never been backed up is a gap; the backed-up one is not",
    );
  });
});

describe("the app's scheduler", () => {
  it("runs at start a slot missed while the app was closed, once, and says so in the history", async () => {
    const tmp = makeTempDir("app-schedule");
    const repoPath = path.join(tmp.dir, "repo");
    const image = path.join(tmp.dir, "vm.img");
    await cliOk(["init", "--repo", repoPath, "--chunk-size", "256K"]);
    writeFileSync(image, new SeededBytes("schedule").bytes(MiB));
    const catalog = openCatalog(path.join(tmp.dir, "catalog.sqlite"));
    const credentials = new MemoryCredentialStore();
    const repositoryId = (await openExistingRepository(catalog, { path: repoPath, password: TEST_PASSWORD }))
      .repository.repositoryId;
    const sourceId = catalog.sources.add({ kind: "image", name: "vm", location: image, user: null }).id;
    const saved = catalog.jobs.save({
      id: "job-missed",
      name: "daily",
      kind: "backup",
      createdAt: new Date(Date.now() - 3 * 86_400_000).toISOString(),
      settings: {
        version: 1,
        sourceId,
        selection: { kind: "source" },
        repositoryId,
        schedule: { kind: "daily", time: "00:00" },
        timeZone: "UTC",
        copies: [],
        concurrency: 1,
        retries: { attempts: 0, backoffSeconds: 1 },
        allowCrashConsistent: false,
      },
    });
    catalog.jobs.setLastSlot(saved.id, new Date(Date.now() - 2 * 86_400_000).toISOString());
    // A job runs unattended: the repository's password is in the keychain.
    await new AppPasswords(credentials, () => undefined).rememberRepository(
      repositoryId,
      TEST_PASSWORD,
      true,
    );
    // The app as it starts: the scheduler runs what is due before anything else is asked of it.
    const startApp = async (): Promise<AppApi> => {
      const app = createAppApi({
        catalog,
        credentials,
        events: () => undefined,
        door: "bridge",
        log: () => undefined,
        background: true,
      });
      await new Promise((r) => setTimeout(r, 200));
      await app.runs.idle();
      return app;
    };
    const api = await startApp();
    const runs = catalog.runs.list({ jobId: saved.id });
    const succeeded = runs.filter((r) => r.status === "succeeded");
    assert.equal(runs.length, 1, JSON.stringify(runs));
    assert.equal(succeeded.length, 1, JSON.stringify(runs));
    const log = catalog.runs.logs(succeeded[0]?.id ?? "").map((l) => l.message);
    assert.ok(
      log.some((m) => /was missed .* it runs now, once/.test(m)),
      log.join("\n"),
    );
    // Started again right away: nothing is run twice.
    await api.shutdown();
    const again = await startApp();
    assert.equal(catalog.runs.list({ jobId: saved.id }).filter((r) => r.status === "succeeded").length, 1);
    await again.shutdown();
    catalog.close();
    tmp.cleanup();
  });
});
