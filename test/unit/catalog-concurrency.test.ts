import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { setTimeout as sleep } from "node:timers/promises";
import Database from "better-sqlite3";
import { openCatalog } from "../../main/catalog/catalog.js";
import { CATALOG_PROCESS } from "../support/catalog-process.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("catalog-concurrency");
after(tmp.cleanup);

const CHILD_RUNS = 1500;
const PARENT_RUNS = 300;

describe("two processes on one catalog", () => {
  it("both write without 'database is locked', waiting out each other's transactions", async () => {
    const file = path.join(tmp.dir, "catalog.sqlite");
    const app = openCatalog(file);
    const child = spawn(process.execPath, [CATALOG_PROCESS, "write", file, String(CHILD_RUNS)], {
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const exit = new Promise<number | null>((resolve) => child.on("exit", resolve));

    const raw = new Database(file);
    const childRuns = () =>
      Number(raw.prepare("SELECT COUNT(*) FROM runs WHERE title LIKE 'child %'").pluck().get());
    try {
      while (childRuns() === 0) await sleep(5);

      // Another process's long write transaction: the child must wait for it, not fail.
      raw.prepare("BEGIN IMMEDIATE").run();
      raw
        .prepare(
          "INSERT INTO jobs (id, name, kind, settings_json, created_at) VALUES ('x', 'x', 'check', '{}', 'now')",
        )
        .run();
      const before = childRuns();
      assert.ok(before < CHILD_RUNS, "the child finished before the lock was taken: raise CHILD_RUNS");
      await sleep(500);
      assert.equal(childRuns(), before, "the child wrote through a held write lock");
      raw.prepare("COMMIT").run();

      for (let i = 0; i < PARENT_RUNS; i++) {
        const run = app.runs.start({ jobId: null, kind: "backup", title: `app ${i}`, repositoryId: null });
        app.runs.log({
          runId: run.id,
          time: new Date().toISOString(),
          level: "info",
          message: `app line ${i}`,
        });
        app.runs.finish(run.id, {
          status: "succeeded",
          bytesRead: i,
          bytesStored: 0,
          restorePointId: null,
          error: null,
        });
        await new Promise((resolve) => setImmediate(resolve));
      }
    } finally {
      raw.close();
    }

    assert.equal(await exit, 0, `child failed: ${stderr}`);
    assert.equal(stdout.trim(), `done ${CHILD_RUNS}`);
    assert.doesNotMatch(stderr, /locked|SQLITE_BUSY/);

    // A second instance in this very process sees everything and writes too.
    const cli = openCatalog(file);
    const source = cli.sources.add({ kind: "image", name: "disk", location: "/images/disk.img", user: null });
    assert.deepEqual(app.sources.get(source.id), source);
    const runs = cli.runs.list({ limit: 10_000 });
    assert.equal(runs.length, CHILD_RUNS + PARENT_RUNS);
    assert.ok(runs.every((r) => r.status === "succeeded"));
    assert.equal(app.jobs.get("x")?.kind, "check");
    cli.close();
    app.close();
  });
});
