/**
 * Backup copy to a second repository: real CLI, real repositories with their own keys. The copies
 * restore bit for bit from the target, a second copy moves nothing, an incremental copy reads only
 * what changed, and the target's `check --read-data` is clean.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, runCli, startCli } from "../support/cli.js";
import { KiB, MiB, backupJson, errorLine, lastJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

const TARGET_PASSWORD = "the offsite disk's own passphrase";

describe("backup copy", () => {
  const tmp = makeTempDir("copy");
  const source = path.join(tmp.dir, "source");
  const target = path.join(tmp.dir, "target");
  const plainTarget = path.join(tmp.dir, "plain-target");
  const image = path.join(tmp.dir, "vm.img");
  const toEnv = { SNAPFERRY_TO_PASSWORD: TARGET_PASSWORD };
  const asTarget = { SNAPFERRY_PASSWORD: TARGET_PASSWORD };
  const versions = new Map<string, Buffer>();

  before(async () => {
    await cliOk(["init", "--repo", source, "--chunk-size", "256K"]);
    await cliOk(["init", "--repo", target, "--chunk-size", "256K"], asTarget);
    // Another chunk size and no encryption: the copy re-cuts and re-seals every chunk.
    await cliOk(["init", "--repo", plainTarget, "--chunk-size", "1M", "--encryption", "none"]);
    const rng = new SeededBytes("copy");
    const v1 = Buffer.concat([rng.bytes(3 * MiB), Buffer.alloc(2 * MiB), rng.bytes(MiB + 4321)]);
    writeFileSync(image, v1);
    versions.set((await backupJson(source, image)).restorePoint, v1);
    const v2 = Buffer.from(v1);
    rng.bytes(64 * KiB).copy(v2, 100 * KiB); // one chunk changed
    writeFileSync(image, v2);
    versions.set((await backupJson(source, image)).restorePoint, v2);
  });
  after(() => tmp.cleanup());

  async function restoredFromTarget(repo: string, rp: string, env: Record<string, string>): Promise<Buffer> {
    const out = path.join(tmp.dir, `restored-${rp.slice(0, 8)}.img`);
    await cliOk(["restore", "--repo", repo, rp, "--target", out, "--overwrite"], env);
    return readFileSync(out);
  }

  it("copies every restore point, re-encrypted, and each restores bit for bit from the target", async () => {
    const r = await cliOk(["copy", "--from", source, "--to", target, "--json"], toEnv);
    const out = lastJson(r.stdout) as { copied: string[]; results: { id: string; bytesRead: number }[] };
    assert.deepEqual(out.copied, [...versions.keys()], "oldest first");
    // The first copy reads the data (the 2 MiB hole unread); the incremental only its one changed chunk.
    assert.deepEqual(
      out.results.map((x) => x.bytesRead),
      [4 * MiB + 4321, 256 * KiB],
    );
    for (const [rp, bytes] of versions) {
      assert.ok(
        (await restoredFromTarget(target, rp, asTarget)).equals(bytes),
        `${rp} restores from the target`,
      );
    }
    // The target has its own key: the source's password does not open it.
    const wrong = await runCli(["snapshots", "--repo", target]);
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong.stderr), /wrong password/);
  });

  it("re-cuts chunks for a target with another chunk size, reading only the changed chunk", async () => {
    const r = await cliOk(["copy", "--from", source, "--to", plainTarget], toEnv);
    const lines = r.stdout.split("\n").filter((l) => l.startsWith("copied"));
    assert.equal(lines.length, 2, r.stdout);
    // The change falls in one 1 MiB chunk of the target: that chunk is read again, nothing else.
    assert.match(lines[1] ?? "", /read 1\.00 MiB, stored 1\.00 MiB/);
    for (const [rp, bytes] of versions) {
      assert.ok(
        (await restoredFromTarget(plainTarget, rp, {})).equals(bytes),
        `${rp} restores from the plain target`,
      );
    }
  });

  it("moves nothing the second time", async () => {
    const before = await cliOk(["stats", "--repo", target, "--json"], asTarget);
    const r = await cliOk(["copy", "--from", source, "--to", target, "--json"], toEnv);
    const out = lastJson(r.stdout) as { copied: string[]; present: string[]; bytesStored: number };
    assert.deepEqual(out.copied, []);
    assert.equal(out.present.length, versions.size);
    assert.equal(out.bytesStored, 0);
    const afterwards = await cliOk(["stats", "--repo", target, "--json"], asTarget);
    assert.deepEqual(lastJson(afterwards.stdout), lastJson(before.stdout));
  });

  it("leaves the target clean under check --read-data", async () => {
    const r = await cliOk(["check", "--repo", target, "--read-data", "--json"], asTarget);
    assert.deepEqual((lastJson(r.stdout) as { problems: unknown[] }).problems, []);
  });

  it("copies only the newest restore point of each machine with --latest", async () => {
    const fresh = path.join(tmp.dir, "latest-target");
    await cliOk(["init", "--repo", fresh, "--chunk-size", "256K"], asTarget);
    const r = await cliOk(["copy", "--from", source, "--to", fresh, "--latest", "--json"], toEnv);
    const newest = [...versions.keys()].at(-1);
    assert.deepEqual((lastJson(r.stdout) as { copied: string[] }).copied, [newest]);
    assert.ok(
      newest &&
        (await restoredFromTarget(fresh, newest, asTarget)).equals(versions.get(newest) ?? Buffer.alloc(0)),
    );
  });

  it("leaves the target valid when killed mid-copy, and the next copy completes", async () => {
    const big = path.join(tmp.dir, "big-source");
    const dest = path.join(tmp.dir, "big-target");
    const bigImage = path.join(tmp.dir, "big.img");
    await cliOk(["init", "--repo", big, "--chunk-size", "256K"]);
    await cliOk(["init", "--repo", dest, "--chunk-size", "256K"]);
    const bytes = new SeededBytes("copy kill").bytes(96 * MiB);
    writeFileSync(bigImage, bytes);
    const rp = (await backupJson(big, bigImage)).restorePoint;
    // Killed at its first progress line that shows data moved but not all of it: mid-copy
    // whatever the speed of the machine.
    const killed = await killMidway(["copy", "--from", big, "--to", dest, "--json"]);
    assert.equal(killed.signal, "SIGKILL", `the copy ended before the kill: ${killed.stdout}`);
    const listed = await cliOk(["snapshots", "--repo", dest, "--json"]);
    assert.deepEqual(
      JSON.parse(listed.stdout.trim().split("\n").at(-1) ?? ""),
      [],
      "nothing half-copied is visible",
    );
    const checked = await cliOk(["check", "--repo", dest, "--read-data", "--json"]);
    assert.deepEqual((lastJson(checked.stdout) as { problems: unknown[] }).problems, []);
    await cliOk(["copy", "--from", big, "--to", dest]);
    assert.ok(
      (await restoredFromTarget(dest, rp, {})).equals(bytes),
      "the completed copy restores bit for bit",
    );
  });

  it("refuses to copy a repository onto itself, and names a wrong target password", async () => {
    const same = await runCli(["copy", "--from", source, "--to", source]);
    assert.equal(same.code, 2);
    assert.match(errorLine(same.stderr), /are the same repository/);
    const wrong = await runCli(["copy", "--from", source, "--to", target], { SNAPFERRY_TO_PASSWORD: "nope" });
    assert.equal(wrong.code, 1);
    assert.match(errorLine(wrong.stderr), new RegExp(`wrong password for repository ${target}`));
  });
});

/** Runs the CLI with --json and kills it with SIGKILL at its first progress event part-way. */
function killMidway(args: string[]): Promise<{ signal: NodeJS.Signals | null; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = startCli(args);
    let stdout = "";
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      for (const line of stdout.split("\n")) {
        const progress = /"bytesDone":(\d+),.*"bytesTotal":(\d+)|"bytesTotal":(\d+),"bytesDone":(\d+)/.exec(
          line,
        );
        const total = Number(progress?.[2] ?? progress?.[3] ?? 0);
        const done = Number(progress?.[1] ?? progress?.[4] ?? 0);
        if (done > 0 && done < total) child.kill("SIGKILL");
      }
    });
    child.on("error", reject);
    child.on("close", (_code, signal) => resolve({ signal, stdout }));
  });
}
