import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { closeSync, existsSync, openSync, readdirSync, writeSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, lastLine, startCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

/** Runs the CLI with --json and sends it Ctrl-C once its progress shows more than `after` bytes done. */
async function interruptAt(
  args: string[],
  after: number,
): Promise<{ code: number; stderr: string; interrupted: boolean }> {
  const child = startCli(args);
  let stdout = "";
  let stderr = "";
  let interrupted = false;
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  child.stdout?.on("data", (d: Buffer) => {
    stdout += d.toString();
    const done = [...stdout.matchAll(/"bytesDone":(\d+)/g)].map((m) => Number(m[1])).at(-1) ?? 0;
    if (!interrupted && done > after) {
      interrupted = true;
      child.kill("SIGINT");
    }
  });
  const code = await new Promise<number>((resolve) => child.on("close", (c) => resolve(c ?? -1)));
  return { code, stderr, interrupted };
}

describe("Ctrl-C during a backup or a conversion", () => {
  const tmp = makeTempDir("cancel");
  after(() => tmp.cleanup());

  it("stops cleanly, keeps what was stored, and --resume finishes the backup", async () => {
    const image = path.join(tmp.dir, "disk.img");
    const rng = new SeededBytes("cancel");
    const fd = openSync(image, "w");
    for (let i = 0; i < 48; i++) writeSync(fd, rng.bytes(8 << 20));
    closeSync(fd);
    const repo = path.join(tmp.dir, "repo");
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);

    // Interrupted once a third is done: late enough for a checkpoint, early enough to be mid-run.
    const { code, stderr, interrupted } = await interruptAt(
      ["backup", "--repo", repo, image, "--json"],
      (384 << 20) / 3,
    );
    assert.ok(interrupted, "the backup finished before it could be interrupted");
    assert.equal(code, 1, stderr);
    assert.match(stderr, /the backup was cancelled/);
    assert.match(stderr, /run the same backup with --resume/);

    const resumed = await cliOk(["backup", "--repo", repo, image, "--resume", "--json"]);
    const result = JSON.parse(lastLine(resumed.stdout)) as { restorePoint: string; read: number };
    assert.match(resumed.stdout, /"note":"resuming: \d+ segments already stored"/);
    assert.ok(result.read < 384 << 20, `the resumed run read ${result.read} bytes: nothing was skipped`);
    await cliOk(["restore", "--repo", repo, result.restorePoint, "--target", path.join(tmp.dir, "out.img")]);
    execFileSync("cmp", [image, path.join(tmp.dir, "out.img")]);
    await cliOk(["check", "--repo", repo, "--read-data"]);
  });

  it("stops a conversion at Ctrl-C and leaves no file behind", async () => {
    const image = path.join(tmp.dir, "convert-in.img");
    const rng = new SeededBytes("cancel-convert");
    const fd = openSync(image, "w");
    for (let i = 0; i < 64; i++) writeSync(fd, rng.bytes(8 << 20));
    closeSync(fd);
    const out = path.join(tmp.dir, "converted.qcow2");

    const { code, stderr, interrupted } = await interruptAt(
      ["convert", image, out, "--format", "qcow2", "--json"],
      0,
    );
    assert.ok(interrupted, "the conversion finished before it could be interrupted");
    assert.equal(code, 1, stderr);
    assert.match(stderr, /the conversion was cancelled/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.includes("converted")),
      [],
      "no partial file is left",
    );
  });
});
