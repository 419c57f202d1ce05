import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image, SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, lastLine } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

describe("backup and restore round trip", () => {
  const tmp = makeTempDir("round-trip");
  const repo = path.join(tmp.dir, "repo");
  before(async () => {
    await cliOk(["init", "--repo", repo]);
  });
  after(() => tmp.cleanup());

  async function roundTrip(image: string): Promise<void> {
    const rp = lastLine((await cliOk(["backup", "--repo", repo, image])).stdout);
    const out = path.join(tmp.dir, `${path.basename(image)}.restored`);
    await cliOk(["restore", "--repo", repo, rp, "--target", out]);
    execFileSync("cmp", [image, out]);
  }

  it("restores an ext4 image with text, random and zero regions bit for bit", async () => {
    const image = path.join(tmp.dir, "ext4.img");
    makeExt4Image(image, {
      sizeBytes: 96 * 1024 * 1024,
      seed: "round trip",
      textBytes: 12e6,
      randomBytes: 6e6,
    });
    await roundTrip(image);
  });

  it("restores an image whose size is not a multiple of the chunk size", async () => {
    const image = path.join(tmp.dir, "odd.img");
    writeFileSync(image, new SeededBytes("odd").bytes(3 * 1024 * 1024 + 12345));
    await roundTrip(image);
  });

  it("restores an empty image", async () => {
    const image = path.join(tmp.dir, "empty.img");
    writeFileSync(image, Buffer.alloc(0));
    await roundTrip(image);
    const points = JSON.parse((await cliOk(["snapshots", "--repo", repo, "--json"])).stdout) as {
      disks: { size: number }[];
    }[];
    assert.ok(points.some((p) => p.disks[0]?.size === 0));
  });
});
