import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync, readdirSync, statSync, truncateSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { cliOk, lastLine, requireTool, runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args).toString();
}

function identical(a: string, b: string): void {
  assert.match(qemuImg("compare", a, b), /Images are identical/);
}

/** The formats issue end to end: images of every format in, images of every format out. */
describe("backup, restore and convert across disk formats", () => {
  const tmp = makeTempDir("formats-cli");
  const raw = path.join(tmp.dir, "disk.raw");
  const repo = path.join(tmp.dir, "repo");
  before(async () => {
    requireTool("qemu-img", "qemu-utils");
    makeExt4Image(raw, {
      sizeBytes: 48 * 1024 * 1024 + 4096,
      seed: "formats",
      textBytes: 6e6,
      randomBytes: 3e6,
    });
    await cliOk(["init", "--repo", repo, "--encryption", "none"]);
  });
  after(() => tmp.cleanup());

  for (const [format, options] of [
    ["qcow2", []],
    ["vmdk", ["-o", "subformat=monolithicSparse"]],
    ["vmdk", ["-o", "subformat=streamOptimized"]],
    ["vhdx", []],
    ["vpc", ["-o", "subformat=dynamic,force_size=on"]],
  ] as const) {
    const variant = `${format}${options.join("").replace(/[^a-zA-Z]/g, "")}`;
    it(`backs up a ${format} ${options.join(" ")} image and restores it bit for bit`, async () => {
      const image = path.join(tmp.dir, `source-${variant}.img`);
      qemuImg("convert", "-f", "raw", "-O", format, ...options, raw, image);
      const inspected = JSON.parse((await cliOk(["inspect", image, "--json"])).stdout) as {
        info: { format: string; virtualSize: number };
      };
      assert.equal(inspected.info.format, format === "vpc" ? "vhd" : format);
      const rp = lastLine((await cliOk(["backup", "--repo", repo, image])).stdout);
      const restored = path.join(tmp.dir, `restored-${variant}.raw`);
      await cliOk(["restore", "--repo", repo, rp, "--target", restored]);
      identical(raw, restored);
    });
  }

  for (const format of ["vmdk", "vmdk-stream", "vmdk-flat", "qcow2", "vhdx"]) {
    it(`restores straight into ${format}, which qemu-img checks and finds identical`, async () => {
      const rp = lastLine((await cliOk(["backup", "--repo", repo, raw])).stdout);
      const target = path.join(tmp.dir, `restored.${format}`);
      await cliOk(["restore", "--repo", repo, rp, "--target", target, "--format", format]);
      if (format !== "vmdk-flat") qemuImg("check", target);
      identical(raw, target);
    });
  }

  it("converts between formats, keeping holes", async () => {
    const vhdx = path.join(tmp.dir, "convert-in.vhdx");
    qemuImg("convert", "-f", "raw", "-O", "vhdx", raw, vhdx);
    const out = path.join(tmp.dir, "convert-out.qcow2");
    await cliOk(["convert", vhdx, out, "--format", "qcow2"]);
    qemuImg("check", out);
    identical(raw, out);
    const refused = await runCli(["convert", vhdx, out, "--format", "qcow2"]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already exists/);
    const bad = await runCli(["convert", vhdx, out, "--format", "vdi"]);
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /unknown format "vdi"/);
  });

  it("stops a conversion of a damaged image with an error naming it, and leaves nothing behind", async () => {
    const stream = path.join(tmp.dir, "damaged.vmdk");
    qemuImg("convert", "-f", "raw", "-O", "vmdk", "-o", "subformat=streamOptimized", raw, stream);
    truncateSync(stream, Math.floor(statSync(stream).size * 0.6));
    const out = path.join(tmp.dir, "from-damaged.raw");
    const failed = await runCli(["convert", stream, out, "--format", "raw"]);
    assert.equal(failed.code, 1);
    assert.match(failed.stderr, /damaged\.vmdk: .*lies past the end of the file/);
    assert.equal(existsSync(out), false);
    assert.deepEqual(
      readdirSync(tmp.dir).filter((f) => f.includes("from-damaged")),
      [],
      "no partial file is left",
    );
  });
});
