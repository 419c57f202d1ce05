/**
 * Instant recovery with real NBD clients: qemu-img, qemu-io, nbdinfo and nbdcopy read and write
 * a restore point served by `snapferry serve`; writes land in the overlay and never in the
 * repository; a restarted server keeps them; finalize makes them a permanent qcow2.
 */
import assert from "node:assert/strict";
import { existsSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { cliOk, requireTool } from "../support/cli.js";
import { nbdMap, startServe, toolOk } from "../support/nbd.js";
import { KiB, MiB, backupJson, checkJson } from "../support/repo-files.js";
import { makeTempDir } from "../support/tmp.js";

// Not a multiple of the 256 KiB chunk size (a short last chunk), but of 512 as qemu wants.
const SIZE = 10 * MiB + 7 * 512;
/** Data and hole runs of the test image, as base:allocation must report them (flags 3 = hole,zero). */
const LAYOUT: [number, number, number][] = [
  [0, 3 * MiB, 0],
  [3 * MiB, 3 * MiB, 3],
  [6 * MiB, MiB, 0],
  [7 * MiB, 3 * MiB, 3],
  [10 * MiB, 7 * 512, 0],
];

function makeImage(file: string): Buffer {
  const bytes = Buffer.alloc(SIZE);
  for (const [offset, length, flags] of LAYOUT) {
    if (flags === 0) new SeededBytes(`nbd ${offset}`).bytes(length).copy(bytes, offset);
  }
  writeFileSync(file, bytes);
  return bytes;
}

async function qemuIo(url: string, ...commands: string[]): Promise<string> {
  const r = await toolOk("qemu-io", ["-f", "raw", url, ...commands.flatMap((c) => ["-c", c])]);
  // qemu-io exits 0 even when a pattern check fails: the words are the verdict.
  assert.doesNotMatch(r.stdout + r.stderr, /verification failed|error/i, r.stdout + r.stderr);
  return r.stdout;
}

describe("instant recovery with real NBD clients", () => {
  const tmp = makeTempDir("nbd-clients");
  const repo = path.join(tmp.dir, "repo");
  const image = path.join(tmp.dir, "original.raw");
  const overlay = path.join(tmp.dir, "vm.overlay");
  let original: Buffer;
  let rp: string;

  before(async () => {
    for (const [t, p] of [
      ["qemu-img", "qemu-utils"],
      ["qemu-io", "qemu-utils"],
      ["nbdinfo", "libnbd-bin"],
      ["nbdcopy", "libnbd-bin"],
    ] as const)
      requireTool(t, p);
    await cliOk(["init", "--repo", repo, "--chunk-size", "256K"]);
    original = makeImage(image);
    rp = (await backupJson(repo, image)).restorePoint;
  });
  after(() => tmp.cleanup());

  it("serves the disk: size, contents, allocation map and a full copy match the original", async () => {
    const served = await startServe(["--repo", repo, rp.slice(0, 8), "--port", "0", "--overlay", overlay]);
    try {
      const info = JSON.parse((await toolOk("qemu-img", ["info", "--output=json", served.url])).stdout) as {
        "virtual-size": number;
      };
      assert.equal(info["virtual-size"], SIZE);
      assert.equal((await toolOk("nbdinfo", ["--size", served.url])).stdout.trim(), String(SIZE));
      await toolOk("qemu-img", ["compare", "-f", "raw", "-F", "raw", served.url, image]);
      assert.deepEqual(await nbdMap(served.url), LAYOUT);
      const copy = path.join(tmp.dir, "copy.raw");
      await toolOk("nbdcopy", [served.url, copy]);
      assert.ok(readFileSync(copy).equals(original), "nbdcopy's copy differs from the original");
    } finally {
      assert.equal(await served.stop(), 0, served.stderr());
    }
  });

  it("keeps writes in the overlay, across a restart, and finalizes them into a qcow2", async () => {
    const expected = Buffer.from(original);
    let served = await startServe(["--repo", repo, rp.slice(0, 8), "--port", "0", "--overlay", overlay]);
    try {
      await qemuIo(served.url, "write -P 0xab 1M 64k", "write -P 0xcd 3144000 3000", "write -z 6400k 128k");
      expected.fill(0xab, MiB, MiB + 64 * KiB);
      expected.fill(0xcd, 3144000, 3147000);
      expected.fill(0, 6400 * KiB, 6528 * KiB);
      await qemuIo(served.url, "read -P 0xab 1M 64k", "read -P 0xcd 3144000 3000", "read -P 0 6400k 128k");
      // A restore running beside the server still gives the original: the repository is untouched.
      const restored = path.join(tmp.dir, "restored.raw");
      await cliOk(["restore", "--repo", repo, rp.slice(0, 8), "--target", restored]);
      assert.ok(
        readFileSync(restored).equals(original),
        "a restore made while serving differs from the original",
      );
    } finally {
      assert.equal(await served.stop(), 0, served.stderr());
    }
    assert.ok(existsSync(overlay) && existsSync(`${overlay}.map`), "the overlay files are gone after stop");
    const check = await checkJson(repo, true);
    assert.deepEqual(check.problems, [], check.stdout);

    served = await startServe(["--repo", repo, rp.slice(0, 8), "--port", "0", "--overlay", overlay]);
    try {
      assert.match(served.stderr(), /resuming overlay/);
      await qemuIo(served.url, "read -P 0xab 1M 64k", "read -P 0xcd 3144000 3000");
      const copy = path.join(tmp.dir, "served-after-restart.raw");
      await toolOk("nbdcopy", [served.url, copy]);
      assert.ok(readFileSync(copy).equals(expected), "the restarted server lost or changed writes");
    } finally {
      assert.equal(await served.stop(), 0, served.stderr());
    }

    const wanted = path.join(tmp.dir, "expected.raw");
    writeFileSync(wanted, expected);
    const qcow2 = path.join(tmp.dir, "final.qcow2");
    await cliOk([
      "finalize",
      "--repo",
      repo,
      rp.slice(0, 8),
      "--overlay",
      overlay,
      "--target",
      qcow2,
      "--format",
      "qcow2",
    ]);
    await toolOk("qemu-img", ["check", "-f", "qcow2", qcow2]);
    await toolOk("qemu-img", ["compare", "-f", "qcow2", "-F", "raw", qcow2, wanted]);
    const raw = path.join(tmp.dir, "final.raw");
    await cliOk(["finalize", "--repo", repo, rp.slice(0, 8), "--overlay", overlay, "--target", raw]);
    assert.ok(readFileSync(raw).equals(expected), "the finalized raw disk differs");
    assert.ok(existsSync(overlay), "finalize must keep the overlay");
  });
});
