/**
 * Append-only mode: backups and copies still add restore points; forget and prune are refused
 * until an unlock made with the password, and every change and use is logged in the repository.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, runCli } from "../support/cli.js";
import { MiB, backupJson, errorLine, lastJson, restorePointIds } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

describe("append-only repositories", () => {
  const tmp = makeTempDir("append-only");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "disk.img");
  const logFile = path.join(repo, "append-only.log");
  const rng = new SeededBytes("append-only");

  async function backupNew(): Promise<string> {
    writeFileSync(image, rng.bytes(2 * MiB));
    return (await backupJson(repo, image)).restorePoint;
  }

  before(async () => {
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    await backupNew();
    await backupNew();
    const on = await cliOk(["append-only", "--repo", repo, "on", "--json"]);
    assert.equal((lastJson(on.stdout) as { on: boolean }).on, true);
  });
  after(() => tmp.cleanup());

  it("refuses forget and prune, deleting nothing, and still takes backups", async () => {
    const before = await restorePointIds(repo);
    const forget = await runCli(["forget", "--repo", repo, "--keep-last", "1"]);
    assert.equal(forget.code, 1);
    assert.match(
      errorLine(forget.stderr),
      /is append-only: forgetting restore points \(1 restore point\(s\)\) refused/,
    );
    assert.match(forget.stderr, /snapferry append-only unlock --repo/);
    const prune = await runCli(["prune", "--repo", repo]);
    assert.equal(prune.code, 1);
    assert.match(errorLine(prune.stderr), /is append-only: prune refused/);
    assert.deepEqual(await restorePointIds(repo), before);
    // A dry run deletes nothing, so it is allowed.
    await cliOk(["forget", "--repo", repo, "--keep-last", "1", "--dry-run"]);
    const added = await backupNew();
    assert.ok((await restorePointIds(repo)).includes(added));
  });

  it("is not fooled by a forged unlock file", async () => {
    writeFileSync(path.join(repo, "append-only-unlock"), new SeededBytes("forged").bytes(200));
    const forget = await runCli(["forget", "--repo", repo, "--keep-last", "1"]);
    assert.equal(forget.code, 1);
    assert.match(errorLine(forget.stderr), /refused/);
  });

  it("needs the password to unlock, and writes nothing when it is wrong", async () => {
    const logBefore = readFileSync(logFile, "utf8");
    const wrong = await runCli(["append-only", "--repo", repo, "unlock"], { SNAPFERRY_PASSWORD: "guess" });
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong.stderr), /wrong password/);
    assert.equal(readFileSync(logFile, "utf8"), logBefore);
    const off = await runCli(["append-only", "--repo", repo, "off"]);
    assert.equal(off.code, 1, "turning it off needs an unlock too");
    assert.match(errorLine(off.stderr), /turning append-only mode off refused/);
  });

  it("allows forget and prune while unlocked, logs each use, and refuses again after relock", async () => {
    const unlocked = await cliOk(["append-only", "--repo", repo, "unlock", "--minutes", "5", "--json"]);
    assert.ok((lastJson(unlocked.stdout) as { unlockedUntil: string | null }).unlockedUntil);
    await cliOk(["forget", "--repo", repo, "--keep-last", "1", "--prune"]);
    assert.equal((await restorePointIds(repo)).length, 1);
    const actions = readFileSync(logFile, "utf8")
      .trim()
      .split("\n")
      .map((l) => (JSON.parse(l) as { action: string; user: string; host: string }).action);
    assert.deepEqual(actions.slice(0, 1), ["on"]);
    for (const a of ["refused", "unlock", "forget", "prune"])
      assert.ok(actions.includes(a), `${a} logged: ${actions.join(",")}`);
    await cliOk(["append-only", "--repo", repo, "relock"]);
    const again = await runCli(["prune", "--repo", repo]);
    assert.equal(again.code, 1);
    const status = await cliOk(["append-only", "--repo", repo, "status"]);
    assert.match(
      status.stdout,
      /append-only mode is on: restore points can be added, forget and prune are refused/,
    );
  });

  it("refuses the mode on an unencrypted repository, which has no password to unlock it", async () => {
    const plain = path.join(tmp.dir, "plain");
    await cliOk(["init", "--repo", plain, "--encryption", "none"]);
    const r = await runCli(["append-only", "--repo", plain, "on"]);
    assert.equal(r.code, 2);
    assert.match(errorLine(r.stderr), /is not encrypted, so append-only mode has no password/);
  });
});
