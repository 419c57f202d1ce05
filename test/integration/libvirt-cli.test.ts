import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { copyFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { cliOk, lastLine, requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args).toString();
}

/**
 * A libvirt/QEMU VM end to end through the CLI: its domain XML names a qcow2 disk on a backing
 * file and a raw disk; both are backed up as the guest sees them and restored bit for bit.
 */
describe("libvirt domains through the CLI", () => {
  const tmp = makeTempDir("libvirt-cli");
  const repo = path.join(tmp.dir, "repo");
  const xml = path.join(tmp.dir, "db01.xml");
  const expected = [path.join(tmp.dir, "vda.raw"), path.join(tmp.dir, "vdb.raw")];
  before(async () => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    const base = path.join(tmp.dir, "base.raw");
    makeExt4Image(base, { sizeBytes: 24 * 1024 * 1024, seed: "libvirt", textBytes: 3e6, randomBytes: 1e6 });
    qemuImg("convert", "-f", "raw", "-O", "qcow2", base, path.join(tmp.dir, "base.qcow2"));
    // The VM runs on an overlay, as virt-manager's snapshots and cloud images leave it.
    qemuImg(
      "create",
      "-q",
      "-f",
      "qcow2",
      "-b",
      "base.qcow2",
      "-F",
      "qcow2",
      path.join(tmp.dir, "db01.qcow2"),
    );
    execFileSync("qemu-io", ["-c", "write -P 0x3c 3M 1M", path.join(tmp.dir, "db01.qcow2")]);
    qemuImg("convert", "-O", "raw", path.join(tmp.dir, "db01.qcow2"), expected[0] ?? "");
    // A raw data disk whose size is not a multiple of the chunk size.
    makeExt4Image(expected[1] ?? "", {
      sizeBytes: 9 * 1024 * 1024 + 4096,
      seed: "data",
      textBytes: 1e6,
      randomBytes: 5e5,
    });
    copyFileSync(expected[1] ?? "", path.join(tmp.dir, "data.img"));
    writeFileSync(
      xml,
      `<domain type='kvm'>
  <name>db01</name>
  <uuid>0b5c9a4e-1d2f-4e6a-9b8c-7d6e5f4a3b2c</uuid>
  <memory unit='KiB'>2097152</memory>
  <vcpu>2</vcpu>
  <devices>
    <disk type='file' device='disk'><driver name='qemu' type='qcow2'/><source file='${path.join(tmp.dir, "db01.qcow2")}'/><target dev='vda' bus='virtio'/></disk>
    <disk type='file' device='disk'><driver name='qemu' type='raw'/><source file='${path.join(tmp.dir, "data.img")}'/><target dev='vdb' bus='virtio'/></disk>
    <disk type='file' device='cdrom'><target dev='sda' bus='sata'/></disk>
  </devices>
</domain>
`,
    );
    await cliOk(["init", "--repo", repo, "--encryption", "none"]);
  });
  after(() => tmp.cleanup());

  it("backs up every disk of the domain and restores each bit for bit", async () => {
    const rp = lastLine((await cliOk(["backup", "--repo", repo, xml])).stdout);
    const points = JSON.parse((await cliOk(["snapshots", "--repo", repo, "--json"])).stdout) as {
      id: string;
      vm: { name: string; uuid: string } | null;
      disks: { index: number; size: number }[];
    }[];
    const point = points.find((p) => p.id === rp);
    assert.equal(point?.vm?.name, "db01");
    assert.equal(point?.vm?.uuid, "0b5c9a4e-1d2f-4e6a-9b8c-7d6e5f4a3b2c");
    assert.equal(point?.disks.length, 2, "the CD-ROM without media is not a disk to back up");
    for (const [index, want] of expected.entries()) {
      const restored = path.join(tmp.dir, `restored-${index}.raw`);
      await cliOk(["restore", "--repo", repo, rp, "--disk", String(index), "--target", restored]);
      execFileSync("cmp", [want, restored]);
    }
    // The next backup of an unchanged domain stores nothing new.
    const again = JSON.parse(lastLine((await cliOk(["backup", "--repo", repo, xml, "--json"])).stdout)) as {
      stored: number;
      type: string;
    };
    assert.equal(again.type, "incremental");
    assert.equal(again.stored < 64 * 1024, true, `an unchanged domain stored ${again.stored} bytes`);
  });
});
