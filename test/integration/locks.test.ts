import assert from "node:assert/strict";
import { readdirSync, writeFileSync } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

function writeLock(repo: string, name: string, fields: Record<string, unknown>): void {
  const now = new Date().toISOString();
  const lock = { processStart: null, operation: "backup", createdAt: now, heartbeatAt: now, ...fields };
  writeFileSync(path.join(repo, "locks", `${name}.json`), JSON.stringify(lock));
}

describe("repository locks", () => {
  const tmp = makeTempDir("locks");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  before(async () => {
    writeFileSync(image, new SeededBytes("locks").bytes(2 << 20));
    await cliOk(["init", "--repo", repo, "--encryption", "none"]);
  });
  after(() => tmp.cleanup());

  it("refuses prune while a backup holds a shared lock, naming the holder", async () => {
    // This test process is alive, so its lock is live.
    writeLock(repo, "live", { host: hostname(), pid: process.pid, kind: "shared" });
    const prune = await runCli(["prune", "--repo", repo]);
    assert.equal(prune.code, 1);
    assert.match(
      prune.stderr,
      new RegExp(`in use: shared lock held by backup on host ${hostname()} \\(pid ${process.pid}\\)`),
    );
    // Another backup may run beside it.
    await cliOk(["backup", "--repo", repo, image]);
    await cliOk(["unlock", "--repo", repo, "--remove-all"]);
  });

  it("breaks the lock of a dead process on this host by itself", async () => {
    writeLock(repo, "dead", { host: hostname(), pid: 2 ** 22 + 7, kind: "exclusive" });
    await cliOk(["backup", "--repo", repo, image]);
    assert.deepEqual(readdirSync(path.join(repo, "locks")), []);
  });

  it("leaves another host's lock alone until unlock --remove-all", async () => {
    writeLock(repo, "remote", { host: "nas-client-7", pid: 4242, kind: "exclusive", operation: "prune" });
    const backup = await runCli(["backup", "--repo", repo, image]);
    assert.equal(backup.code, 1);
    assert.match(backup.stderr, /exclusive lock held by prune on host nas-client-7 \(pid 4242\)/);
    assert.match(
      backup.stderr,
      /If Snapferry no longer runs on nas-client-7, run `snapferry unlock --repo .* --remove-all`/,
    );
    const plain = await cliOk(["unlock", "--repo", repo]);
    assert.match(plain.stdout, /no locks removed/);
    const all = await cliOk(["unlock", "--repo", repo, "--remove-all"]);
    assert.match(all.stdout, /removed exclusive lock of prune on nas-client-7 \(pid 4242\)/);
    await cliOk(["backup", "--repo", repo, image]);
  });
});
