import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { parseVmx } from "../../main/sources/local/vmx.js";
import { cliOk, lastLine, requireTool, runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";

function qemuImg(...args: string[]): string {
  return execFileSync("qemu-img", args).toString();
}

/** A Workstation VM folder backed up through its snapshot chain and restored as a VM folder. */
describe("VMware Workstation VM folders", () => {
  const tmp = makeTempDir("vm-folder");
  const vmDir = path.join(tmp.dir, "web01");
  const raw = path.join(tmp.dir, "expected.raw");
  const repo = path.join(tmp.dir, "repo");
  before(async () => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    mkdirSync(vmDir);
    const base = path.join(tmp.dir, "base.raw");
    makeExt4Image(base, { sizeBytes: 32 * 1024 * 1024, seed: "vm folder", textBytes: 4e6, randomBytes: 2e6 });
    qemuImg("convert", "-f", "raw", "-O", "vmdk", base, path.join(vmDir, "web01.vmdk"));
    // A snapshot: VMware's delta on top of the base, with new data in it.
    execFileSync(
      "qemu-img",
      ["create", "-q", "-f", "vmdk", "-b", "web01.vmdk", "-F", "vmdk", "web01-000001.vmdk"],
      {
        cwd: vmDir,
      },
    );
    execFileSync("qemu-io", ["-c", "write -P 0x5a 1M 2M", path.join(vmDir, "web01-000001.vmdk")]);
    qemuImg("convert", "-O", "raw", path.join(vmDir, "web01-000001.vmdk"), raw);
    writeFileSync(
      path.join(vmDir, "web01.vmx"),
      [
        '.encoding = "UTF-8"',
        'displayName = "web01"',
        'guestOS = "ubuntu-64"',
        'memsize = "4096"',
        'numvcpus = "2"',
        'virtualHW.version = "19"',
        'uuid.bios = "56 4d 1c 2e 3f 40 51 62-73 84 95 a6 b7 c8 d9 ea"',
        'scsi0.present = "TRUE"',
        'scsi0.virtualDev = "pvscsi"',
        'scsi0:0.present = "TRUE"',
        'scsi0:0.fileName = "web01-000001.vmdk"',
        "",
      ].join("\n"),
    );
    await cliOk(["init", "--repo", repo, "--encryption", "none"]);
  });
  after(() => tmp.cleanup());

  it("inspects the VM, backs up the current state of its chain, and restores it as a VM that opens", async () => {
    const inspected = await cliOk(["inspect", vmDir]);
    assert.match(inspected.stdout, /VMware VM web01/);
    assert.match(inspected.stdout, /scsi0:0: .*web01-000001\.vmdk \(chain depth 2\)/);
    const rp = lastLine((await cliOk(["backup", "--repo", repo, vmDir])).stdout);
    const points = JSON.parse((await cliOk(["snapshots", "--repo", repo, "--json"])).stdout) as {
      vm: { name: string } | null;
    }[];
    assert.equal(points[0]?.vm?.name, "web01");

    const restored = path.join(tmp.dir, "restored");
    await cliOk(["restore", "--repo", repo, rp, "--target", restored, "--vm-folder"]);
    const vmx = parseVmx(readFileSync(path.join(restored, "web01.vmx")), "restored vmx");
    assert.equal(vmx.name, "web01");
    const disk = vmx.disks[0];
    assert.ok(disk, "the restored .vmx names no disk");
    assert.equal(disk.slot, "scsi0:0");
    qemuImg("check", path.join(restored, disk.fileName ?? ""));
    assert.match(qemuImg("compare", raw, path.join(restored, disk.fileName ?? "")), /Images are identical/);
  });

  it("refuses a running VM, saying why", async () => {
    mkdirSync(path.join(vmDir, "web01.vmx.lck"));
    const refused = await runCli(["backup", "--repo", repo, vmDir]);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /web01 is running .*would not be crash-consistent/);
  });
});
