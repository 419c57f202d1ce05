import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import path from "node:path";
import { after, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { SnapferryError } from "../../main/common/errors.js";
import { CATALOG_PROCESS } from "../support/catalog-process.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("catalog-runs");
after(tmp.cleanup);
let counter = 0;
const freshFile = (): string => path.join(tmp.dir, `c${++counter}.sqlite`);

const ok = { status: "succeeded", bytesRead: 10, bytesStored: 4, restorePointId: null, error: null } as const;

function startBackup(catalog: Catalog, title: string, jobId: string | null = null) {
  return catalog.runs.start({ jobId, kind: "backup", title, repositoryId: "repo-1" });
}

/** Starts a catalog-process child and waits for the run id it prints. */
async function childRun(
  mode: "abandon" | "hold",
  file: string,
): Promise<{ child: ChildProcess; runId: string }> {
  const child = spawn(process.execPath, [CATALOG_PROCESS, mode, file], {
    stdio: ["pipe", "pipe", "inherit"],
  });
  const runId = await new Promise<string>((resolve, reject) => {
    let out = "";
    child.stdout?.on("data", (d: Buffer) => {
      out += d.toString();
      if (out.includes("\n")) resolve(out.trim());
    });
    child.on("exit", (code, signal) =>
      reject(new Error(`catalog-process ${mode} exited ${code ?? signal}: ${out}`)),
    );
    child.on("error", reject);
  });
  return { child, runId };
}

function exited(child: ChildProcess): Promise<unknown> {
  return child.exitCode !== null || child.signalCode !== null ? Promise.resolve() : once(child, "exit");
}

describe("runs store", () => {
  it("starts, logs, finishes and reads a run back", () => {
    const catalog = openCatalog(freshFile());
    const run = startBackup(catalog, "Back up db01");
    assert.equal(run.status, "running");
    assert.equal(run.finishedAt, null);
    assert.match(run.id, /^[0-9a-f-]{36}$/);
    const lines = ["snapshot taken", "disk 0: 8 GiB read", "snapshot removed"];
    for (const [i, message] of lines.entries()) {
      catalog.runs.log({
        runId: run.id,
        time: "2026-01-01T00:00:00.000Z",
        level: i === 1 ? "warn" : "info",
        message,
      });
    }
    assert.deepEqual(
      catalog.runs.logs(run.id).map((l) => [l.level, l.message]),
      [
        ["info", "snapshot taken"],
        ["warn", "disk 0: 8 GiB read"],
        ["info", "snapshot removed"],
      ],
    );
    const done = catalog.runs.finish(run.id, { ...ok, restorePointId: "rp-1" });
    assert.equal(done.status, "succeeded");
    assert.equal(done.bytesRead, 10);
    assert.equal(done.bytesStored, 4);
    assert.equal(done.restorePointId, "rp-1");
    assert.ok(done.finishedAt && done.finishedAt >= done.startedAt);
    assert.deepEqual(catalog.runs.get(run.id), done);
    catalog.close();
  });

  it("lists newest first, with a limit and per job", () => {
    const catalog = openCatalog(freshFile());
    catalog.jobs.save({ id: "nightly", name: "Nightly", kind: "backup", settings: {} });
    const ids = Array.from(
      { length: 12 },
      (_, i) => startBackup(catalog, `run ${i}`, i % 3 === 0 ? "nightly" : null).id,
    );
    assert.deepEqual(
      catalog.runs.list().map((r) => r.id),
      [...ids].reverse(),
    );
    assert.deepEqual(
      catalog.runs.list({ limit: 5 }).map((r) => r.title),
      ["run 11", "run 10", "run 9", "run 8", "run 7"],
    );
    assert.deepEqual(
      catalog.runs.list({ jobId: "nightly", limit: 3 }).map((r) => r.title),
      ["run 9", "run 6", "run 3"],
    );
    assert.deepEqual(catalog.runs.list({ limit: 0 }), []);
    // History outlives the job: the runs stay, without the job's id.
    catalog.jobs.remove("nightly");
    assert.equal(catalog.runs.get(ids[0] ?? "")?.jobId, null);
    assert.equal(catalog.runs.list({ limit: 100 }).length, 12);
    catalog.close();
  });

  it("names an unknown run instead of inventing one", () => {
    const catalog = openCatalog(freshFile());
    const notFound = (err: unknown) => err instanceof SnapferryError && err.code === "not-found";
    assert.throws(() => catalog.runs.finish("missing", ok), notFound);
    assert.throws(
      () => catalog.runs.log({ runId: "missing", time: "t", level: "info", message: "m" }),
      notFound,
    );
    assert.equal(catalog.runs.get("missing"), undefined);
    assert.deepEqual(catalog.runs.logs("missing"), []);
    catalog.close();
  });

  it("fails only the runs whose process is gone", async () => {
    const file = freshFile();
    const app = openCatalog(file);
    const mine = startBackup(app, "this process, still open");
    const closed = openCatalog(file);
    const orphan = startBackup(closed, "this process, catalog closed");
    closed.close();
    const dead = await childRun("abandon", file);
    await exited(dead.child);
    const live = await childRun("hold", file);
    try {
      assert.equal(app.runs.failAbandoned("Snapferry stopped while this run was going on"), 2);
      const status = (id: string) => app.runs.get(id)?.status;
      assert.equal(status(mine.id), "running");
      assert.equal(status(live.runId), "running");
      assert.equal(status(orphan.id), "failed");
      assert.equal(status(dead.runId), "failed");
      assert.equal(app.runs.get(dead.runId)?.error, "Snapferry stopped while this run was going on");
      assert.ok(app.runs.get(dead.runId)?.finishedAt);
      assert.equal(app.runs.failAbandoned("again"), 0);
    } finally {
      live.child.stdin?.end();
      await exited(live.child);
    }
    assert.equal(app.runs.get(live.runId)?.status, "succeeded");
    app.close();
  });
});
