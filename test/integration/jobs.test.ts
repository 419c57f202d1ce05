/**
 * `snapferry job`: a job imported from JSON runs through the real services against real
 * repositories in the app's catalog (SQLite): backups, retention on the job's own machine, a copy
 * to a second repository with its own retention, and every run in the app's history.
 */
import assert from "node:assert/strict";
import { readFileSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { JobExport } from "../../main/jobs/job-settings.js";
import { TEST_PASSWORD, cliOk, runCli } from "../support/cli.js";
import { MiB, backupJson, errorLine, lastJson, restorePointIds } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

describe("jobs from the command line", () => {
  const tmp = makeTempDir("jobs");
  const dataDir = path.join(tmp.dir, "app-data");
  const env = { SNAPFERRY_DATA_DIR: dataDir };
  const primary = path.join(tmp.dir, "primary");
  const offsite = path.join(tmp.dir, "offsite");
  const image = path.join(tmp.dir, "fileserver.img");
  const other = path.join(tmp.dir, "other.img");
  const jobFile = path.join(tmp.dir, "nightly.json");
  const rng = new SeededBytes("jobs");
  let job: JobExport;

  before(async () => {
    await cliOk(["init", "--repo", primary, "--chunk-size", "256K"]);
    await cliOk(["init", "--repo", offsite, "--chunk-size", "256K"]);
    writeFileSync(image, rng.bytes(3 * MiB));
    // Another machine in the same repository: the job's retention must leave it alone.
    writeFileSync(other, rng.bytes(MiB));
    await backupJson(primary, other);
    await backupJson(primary, other);
    await backupJson(primary, other);
    const catalog = openCatalog(path.join(dataDir, "catalog.sqlite"));
    const source = catalog.sources.add({ kind: "image", name: "fileserver", location: image, user: null });
    const a = await openExistingRepository(catalog, { path: primary, password: TEST_PASSWORD });
    const b = await openExistingRepository(catalog, { path: offsite, password: TEST_PASSWORD });
    catalog.close();
    job = {
      format: "snapferry-job",
      name: "nightly",
      settings: {
        version: 1,
        sourceId: source.id,
        selection: { kind: "source" },
        repositoryId: a.repository.repositoryId,
        schedule: { kind: "daily", time: "22:00" },
        timeZone: "UTC",
        retention: { last: 2, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
        copies: [
          {
            repositoryId: b.repository.repositoryId,
            retention: { last: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
          },
        ],
        concurrency: 1,
        retries: { attempts: 1, backoffSeconds: 1 },
        allowCrashConsistent: false,
      },
    };
    writeFileSync(jobFile, JSON.stringify(job));
  });
  after(() => tmp.cleanup());

  it("imports, lists and exports a job unchanged", async () => {
    const imported = await cliOk(["job", "import", jobFile], env);
    assert.match(imported.stdout, /imported job "nightly"/);
    const listed = await cliOk(["job", "list"], env);
    assert.match(listed.stdout, /nightly {2}every day at 22:00 {2}next \d{4}-\d\d-\d\dT22:00:00\.000Z/);
    const exported = await cliOk(["job", "export", "nightly"], env);
    assert.deepEqual(JSON.parse(exported.stdout), job);
    const again = await runCli(["job", "import", jobFile], env);
    assert.equal(again.code, 1);
    assert.match(errorLine(again.stderr), /a job named "nightly" exists already/);
  });

  it("runs: backs up, keeps the last 2 of its own machine only, copies and keeps 1 offsite", async () => {
    const images: Buffer[] = [];
    for (let i = 0; i < 3; i++) {
      const bytes = rng.bytes(3 * MiB);
      writeFileSync(image, bytes);
      images.push(bytes);
      const r = await cliOk(["job", "run", "nightly"], env);
      assert.match(r.stdout, /^success fileserver {2}restore point [0-9a-f]{8}/m);
      assert.match(r.stdout, /job nightly: success/);
    }
    const points = JSON.parse(
      (await cliOk(["snapshots", "--repo", primary, "--json"])).stdout.trim().split("\n").at(-1) ?? "[]",
    ) as {
      source: string;
    }[];
    assert.equal(
      points.filter((p) => p.source === image).length,
      2,
      "the job's retention kept 2 of its machine",
    );
    assert.equal(
      points.filter((p) => p.source === other).length,
      3,
      "another machine's restore points are untouched",
    );
    const offsiteIds = await restorePointIds(offsite);
    assert.equal(offsiteIds.length, 1, "the copy's own retention kept 1");
    const restored = path.join(tmp.dir, "restored.img");
    await cliOk(["restore", "--repo", offsite, offsiteIds[0] ?? "", "--target", restored]);
    assert.ok(
      readFileSync(restored).equals(images[2] ?? Buffer.alloc(0)),
      "the newest restores from the offsite copy",
    );
    const catalog = openCatalog(path.join(dataDir, "catalog.sqlite"));
    try {
      const runs = catalog.runs.list({}).filter((r) => r.title === "Job nightly");
      assert.equal(runs.length, 3);
      assert.ok(runs.every((r) => r.status === "succeeded"));
      const log = catalog.runs.logs(runs[0]?.id ?? "").map((l) => l.message);
      assert.ok(
        log.some((m) => /started: run by hand/.test(m)),
        log.join("\n"),
      );
      assert.ok(
        log.some((m) => /copy to .*: 1 restore point\(s\) copied/.test(m)),
        log.join("\n"),
      );
    } finally {
      catalog.close();
    }
  });

  it("fails with the reason when its repository is gone, and records the failed run", async () => {
    const moved = `${primary}-moved`;
    renameSync(primary, moved);
    try {
      const r = await runCli(["job", "run", "nightly", "--json"], env);
      assert.equal(r.code, 1, r.stderr);
      const out = lastJson(r.stdout) as { state: string; vms: { messages: string[] }[] };
      assert.equal(out.state, "failed");
      assert.match(out.vms[0]?.messages[0] ?? "", /no repository at/);
    } finally {
      renameSync(moved, primary);
    }
  });

  it("names what an imported job refers to that this machine does not know", async () => {
    const foreign = { ...job, name: "foreign", settings: { ...job.settings, sourceId: "no-such-source" } };
    const file = path.join(tmp.dir, "foreign.json");
    writeFileSync(file, JSON.stringify(foreign));
    const r = await runCli(["job", "import", file], env);
    assert.equal(r.code, 1);
    assert.match(errorLine(r.stderr), /does not know: source no-such-source/);
  });
});
