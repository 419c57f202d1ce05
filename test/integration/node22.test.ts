import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { CLI_PATH, cliEnv, cliOk, lastLine } from "../support/cli.js";
import { node22Binary } from "../support/node22.js";
import { makeTempDir } from "../support/tmp.js";
import { writeFileSync } from "node:fs";

/** Electron ships Node 22 or newer: the engines must run there exactly as on Node 20. */
describe("the engines on Electron's Node major (22)", () => {
  const tmp = makeTempDir("node22");
  after(() => tmp.cleanup());

  function cli22(args: string[]): string {
    const r = spawnSync(node22Binary(), [CLI_PATH, ...args], { env: cliEnv() });
    assert.equal(r.status, 0, `node 22: snapferry ${args.join(" ")}\n${r.stdout}\n${r.stderr}`);
    return r.stdout.toString();
  }

  it("backs up on Node 22, restores on Node 20, and the other way round", async () => {
    const image = path.join(tmp.dir, "disk.img");
    const rng = new SeededBytes("node22");
    writeFileSync(
      image,
      Buffer.concat([rng.bytes(3 << 20), Buffer.alloc(2 << 20), Buffer.alloc(1 << 20, "text ")]),
    );
    const repo = path.join(tmp.dir, "repo");
    cli22(["init", "--repo", repo]);
    const first = lastLine(cli22(["backup", "--repo", repo, image]));
    await cliOk(["restore", "--repo", repo, first, "--target", path.join(tmp.dir, "a.img")]);
    execFileSync("cmp", [image, path.join(tmp.dir, "a.img")]);

    const second = lastLine((await cliOk(["backup", "--repo", repo, image, "--full"])).stdout);
    cli22(["restore", "--repo", repo, second, "--target", path.join(tmp.dir, "b.img")]);
    execFileSync("cmp", [image, path.join(tmp.dir, "b.img")]);
    assert.match(cli22(["check", "--repo", repo, "--read-data"]), /no problems found/);
  });
});
