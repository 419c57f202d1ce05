import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { followVmdkChain } from "../../main/sources/local/vmdk-chain.js";
import { inspectVmwareFolder } from "../../main/sources/local/vmware-folder.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

/** VMDKs as qemu-img writes them: other tools' descriptors must read as well as VMware's own. */
describe("VM folders with disks made by qemu-img", () => {
  const tmp = makeTempDir("local-vm-qemu");
  const qemuImg = (...args: string[]): void => {
    execFileSync("qemu-img", args, { cwd: tmp.dir, stdio: "pipe" });
  };
  before(() => {
    requireTool("qemu-img", "qemu-utils");
    qemuImg("create", "-q", "-f", "vmdk", "base.vmdk", "64M");
    qemuImg("create", "-q", "-f", "vmdk", "-b", "base.vmdk", "-F", "vmdk", "delta1.vmdk");
    qemuImg(
      "create",
      "-q",
      "-f",
      "vmdk",
      "-o",
      "subformat=twoGbMaxExtentSparse",
      "-b",
      "delta1.vmdk",
      "-F",
      "vmdk",
      "delta2.vmdk",
    );
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=monolithicFlat", "flat.vmdk", "8M");
    qemuImg("create", "-q", "-f", "vmdk", "-o", "subformat=streamOptimized", "stream.vmdk", "8M");
    writeFileSync(
      path.join(tmp.dir, "qemu.vmx"),
      [
        '.encoding = "UTF-8"',
        'displayName = "qemu-made"',
        'scsi0.present = "TRUE"',
        'scsi0:0.present = "TRUE"',
        'scsi0:0.fileName = "delta2.vmdk"',
        'scsi0:1.present = "TRUE"',
        'scsi0:1.fileName = "flat.vmdk"',
        'sata0.present = "TRUE"',
        'sata0:0.present = "TRUE"',
        'sata0:0.fileName = "stream.vmdk"',
        "",
      ].join("\n"),
    );
  });
  after(() => tmp.cleanup());

  it("follows the chain through sparse and split-sparse deltas, and finds every data file", async () => {
    const vm = await inspectVmwareFolder(tmp.dir);
    assert.deepEqual(
      vm.disks.map((d) => [d.slot, path.basename(d.file), d.chainDepth]),
      [
        ["scsi0:0", "delta2.vmdk", 3],
        ["scsi0:1", "flat.vmdk", 1],
        ["sata0:0", "stream.vmdk", 1],
      ],
    );
    assert.deepEqual(
      vm.disks[0]?.dataFiles.map((f) => path.basename(f)),
      ["delta2-s001.vmdk", "delta1.vmdk", "base.vmdk"],
    );
    assert.deepEqual(
      vm.disks[1]?.dataFiles.map((f) => path.basename(f)),
      ["flat-flat.vmdk"],
    );
    assert.equal(vm.running, false);
  });

  it("detects a parent written to after its delta was made, as VMware does", async () => {
    requireTool("qemu-io", "qemu-utils");
    execFileSync("qemu-io", ["-c", "write 0 4k", "base.vmdk"], { cwd: tmp.dir, stdio: "pipe" });
    await assert.rejects(followVmdkChain(path.join(tmp.dir, "delta2.vmdk")), (err: unknown) => {
      assert.ok(err instanceof SnapferryError);
      assert.match(
        err.message,
        /delta1\.vmdk: its parent .*base\.vmdk was changed after the snapshot was taken/,
      );
      return true;
    });
  });
});
