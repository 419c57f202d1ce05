/**
 * `snapferry restore ... --to-original` against vcsim behind the CBT harness: a backed-up VM whose
 * disk was overwritten gets its disk back in place (new files beside the old ones, the disk pointed
 * at them by ReconfigVM, the old files deleted or kept), and every refusal or failure leaves the VM
 * as it was: no --yes, a snapshot of the user's, an upload cut mid-way, a VM deleted since.
 *
 * What vcsim cannot show: it accepts a ReconfigVM "edit" of a disk's backing file when the
 * `-flat.vmdk` beside the new descriptor exists, but it never opens a descriptor, so the descriptor
 * Snapferry writes is checked here with qemu-img instead of by a hypervisor; and its snapshots are
 * metadata only, so the refusal of a VM with snapshots is checked, not what ESXi would break.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import {
  closeSync,
  createReadStream,
  ftruncateSync,
  openSync,
  readdirSync,
  readFileSync,
  statSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { setTimeout as sleep } from "node:timers/promises";
import { after, before, describe, test } from "node:test";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { parseMoRef } from "../../main/sources/vsphere/moref.js";
import { retrieveProperties } from "../../main/sources/vsphere/property-collector.js";
import { children, text } from "../../main/sources/vsphere/soap-xml.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { requireReturnval } from "../../main/sources/vsphere/vim-client.js";
import { cliOk, lastLine, requireTool, runCli, startCli } from "../support/cli.js";
import {
  backupArgs,
  createSnapshot,
  findVmRef,
  growDisk,
  liveFlat,
  MiB,
  removeAllSnapshots,
  startBackupSite,
  writeExt4,
  type BackupSite,
} from "./backup-fixtures.js";
import { startCbtProxy, type CbtProxy } from "./harness/cbt-proxy.js";

const VM = "DC0_H0_VM0";
const SIZE = 24 * MiB;
/** Large enough (the whole capacity is uploaded) that the upload is still running when the link is cut. */
const CUT_VM = "DC0_H0_VM1";
const CUT_SIZE = 256 * MiB;
const CUT_AFTER = 16 * MiB;
const RESTORED = /^disk1-snapferry-[0-9a-f]+(-flat)?\.vmdk$/;

describe("restore to the original VM (vcsim with the CBT harness)", () => {
  let site: BackupSite;
  let proxy: CbtProxy;
  let vm: MoRef;
  let image: string;
  let restorePoint: string;
  let cutVm: MoRef;
  let cutRestorePoint: string;

  const folder = (name: string): string => path.join(site.vcsim.datastoreDir(), name);
  const files = (name: string): string[] => readdirSync(folder(name)).sort();
  const restoreArgs = (id: string, extra: string[]): string[] => [
    "restore",
    "--repo",
    site.repo,
    id,
    "--to-original",
    "--user",
    "backup",
    ...extra,
  ];

  async function vmState(ref: MoRef): Promise<{ power: string; disk: string }> {
    const { props } = await retrieveProperties(site.client, ref, [
      "runtime.powerState",
      "config.hardware.device",
    ]);
    const disk = children(props.get("config.hardware.device"), "VirtualDevice").find(
      (d) => d.xsiType === "VirtualDisk",
    );
    return {
      power: props.get("runtime.powerState")?.text ?? "",
      disk: text(children(disk, "backing")[0], "fileName") ?? "",
    };
  }

  async function runTask(method: string, ref: MoRef): Promise<void> {
    const answer = await site.client.invoke(method, { _this: ref });
    const task = parseMoRef(requireReturnval(answer, site.client.server), site.client.server);
    await waitForTask(site.client, task, { timeoutMs: 60_000 });
  }

  before(async () => {
    requireTool("qemu-img", "qemu-utils");
    site = await startBackupSite();
    proxy = site.proxy;
    vm = await findVmRef(site.client, `DC0/vm/${VM}`);
    await growDisk(site.client, vm, SIZE);
    writeExt4(site, liveFlat(site, VM), SIZE, "original-restore");
    image = path.join(site.dir, "original-restore.img");
    restorePoint = lastLine((await cliOk(backupArgs(site, VM, [], false), site.env)).stdout);

    cutVm = await findVmRef(site.client, `DC0/vm/${CUT_VM}`);
    await growDisk(site.client, cutVm, CUT_SIZE);
    writeRandomStart(liveFlat(site, CUT_VM), 4 * MiB, CUT_SIZE);
    cutRestorePoint = lastLine((await cliOk(backupArgs(site, CUT_VM, [], false), site.env)).stdout);
  });
  after(async () => {
    await proxy.stop();
    await site.stop();
  });

  test("without --yes: the plan names the VM and its disk, exit 2, nothing changed", async () => {
    const before = { state: await vmState(vm), files: files(VM), data: await sha256(liveFlat(site, VM)) };
    assert.equal(before.state.power, "poweredOn");
    const r = await runCli(restoreArgs(restorePoint, []), site.env);
    assert.equal(r.code, 2, r.stderr);
    assert.match(r.stdout, new RegExp(`VM ${VM} on 127\\.0\\.0\\.1:\\d+, inventory path DC0/vm/${VM}`));
    assert.match(
      r.stdout,
      new RegExp(`disk 0 \\(.+\\) \\[LocalDS_0\\] ${VM}/disk1\\.vmdk, 24\\.0 MiB, will be overwritten`),
    );
    assert.match(r.stdout, /the VM will be powered off/);
    assert.match(r.stderr, /needs confirmation; nothing was changed/);
    assert.match(r.stderr, /hint: .*--yes/);
    assert.deepEqual(await vmState(vm), before.state);
    assert.deepEqual(files(VM), before.files);
    assert.equal(await sha256(liveFlat(site, VM)), before.data);
  });

  test("a VM with a snapshot of the user's is refused, unchanged", async () => {
    await createSnapshot(site.client, vm, "before-upgrade");
    try {
      const before = { state: await vmState(vm), files: files(VM) };
      const r = await runCli(restoreArgs(restorePoint, ["--yes"]), site.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(r.stderr, new RegExp(`VM ${VM} has a snapshot \\("before-upgrade"\\)`));
      assert.match(r.stderr, /nothing was changed/);
      assert.deepEqual(await vmState(vm), before.state);
      assert.deepEqual(files(VM), before.files);
    } finally {
      await removeAllSnapshots(site.client, vm);
    }
  });

  test("the overwritten disk comes back in place: powered on again, new file attached, old files gone", async () => {
    writeRandomStart(liveFlat(site, VM), 8 * MiB, SIZE);
    const r = await runCli(restoreArgs(restorePoint, ["--yes"]), site.env);
    assert.equal(r.code, 0, r.stderr);
    assert.match(
      lastLine(r.stdout),
      new RegExp(
        `^restored VM ${VM} \\(DC0/vm/${VM}\\) on .* in place from restore point ${restorePoint.slice(0, 8)}: 1 disk, powered on again$`,
      ),
    );
    assert.match(r.stderr, new RegExp(`note: powered VM ${VM} off`));
    const state = await vmState(vm);
    assert.equal(state.power, "poweredOn");
    const match = new RegExp(`^\\[LocalDS_0\\] ${VM}/(disk1-snapferry-[0-9a-f]+)\\.vmdk$`).exec(state.disk);
    assert.ok(match, `the disk uses a restored file, not ${state.disk}`);
    const name = match[1] ?? "";
    const flat = path.join(folder(VM), `${name}-flat.vmdk`);
    assert.equal(spawnSync("cmp", [image, flat]).status, 0, "the restored flat file is the backed-up disk");
    const descriptor = readFileSync(path.join(folder(VM), `${name}.vmdk`), "utf8");
    assert.match(descriptor, /createType="vmfs"/);
    assert.match(descriptor, new RegExp(`^RW ${SIZE / 512} VMFS "${name}-flat\\.vmdk"$`, "m"));
    const compare = spawnSync("qemu-img", [
      "compare",
      "-f",
      "vmdk",
      "-F",
      "raw",
      path.join(folder(VM), `${name}.vmdk`),
      image,
    ]);
    assert.equal(
      compare.status,
      0,
      `qemu-img reads the descriptor pair as the backed-up disk: ${compare.stdout.toString()}${compare.stderr.toString()}`,
    );
    const left = files(VM);
    assert.ok(
      !left.includes("disk1.vmdk") && !left.includes("disk1-flat.vmdk"),
      `old files gone: ${left.join(", ")}`,
    );
    assert.ok(!readdirSync(site.vcsim.datastoreDir()).some((f) => f.startsWith(".snapferry-upload-check")));
  });

  test("with --keep-old the replaced files stay, and the output says where", async () => {
    const previous = (await vmState(vm)).disk;
    const r = await runCli(restoreArgs(restorePoint, ["--yes", "--keep-old"]), site.env);
    assert.equal(r.code, 0, r.stderr);
    const now = (await vmState(vm)).disk;
    assert.notEqual(now, previous);
    assert.match(
      now,
      /^\[LocalDS_0\] DC0_H0_VM0\/disk1-snapferry-[0-9a-f]+\.vmdk$/,
      "no job id piled on the last one",
    );
    const old = (previous.split("/").at(-1) ?? "").replace(/\.vmdk$/, "");
    assert.ok(files(VM).includes(`${old}.vmdk`) && files(VM).includes(`${old}-flat.vmdk`));
    assert.match(r.stderr, new RegExp(`kept the old disk files \\(--keep-old\\): .*${old}\\.vmdk`));
    const flat = path.join(folder(VM), `${(now.split("/").at(-1) ?? "").replace(/\.vmdk$/, "")}-flat.vmdk`);
    assert.equal(spawnSync("cmp", [image, flat]).status, 0);
  });

  test("a reconfiguration the server refuses leaves the VM on its old disk, the new files deleted", async () => {
    const before = { state: await vmState(vm), files: files(VM) };
    proxy.injectFault(
      "ReconfigVM_Task",
      { kind: "vim", faultType: "InvalidDeviceSpec", message: "Invalid configuration for device '0'." },
      1,
    );
    const r = await runCli(restoreArgs(restorePoint, ["--yes"]), site.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(r.stderr, /Invalid configuration for device '0'/);
    assert.match(
      r.stderr,
      new RegExp(
        `VM ${VM} is unchanged, still on its old disks: the new files were deleted, and it was powered on again`,
      ),
    );
    assert.deepEqual(await vmState(vm), before.state);
    assert.deepEqual(files(VM), before.files);
  });

  test("an upload cut mid-way deletes the new files and leaves the VM on its intact old disk, powered on", async () => {
    const before = {
      state: await vmState(cutVm),
      files: files(CUT_VM),
      data: await sha256(liveFlat(site, CUT_VM)),
    };
    assert.equal(before.state.power, "poweredOn");
    const child = startCli(restoreArgs(cutRestorePoint, ["--yes"]), site.env);
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const exited = new Promise<number | null>((resolve) => child.on("close", resolve));
    await restoredFlatGrowsPast(folder(CUT_VM), CUT_AFTER, child);
    // The host goes away mid-upload and comes back at the same address: the restore must clean up.
    const { port, certificate } = proxy;
    await proxy.stop();
    await sleep(500);
    proxy = await startCbtProxy(site.vcsim, { port, certificate });
    const code = await exited;
    assert.equal(code, 1, stderr);
    assert.match(
      stderr,
      new RegExp(
        `uploading disk 0 \\(.*\\) to \\[LocalDS_0\\] ${CUT_VM}/disk1-snapferry-[0-9a-f]+-flat\\.vmdk on 127\\.0\\.0\\.1:\\d+ failed after [\\d.]+ MiB of 256\\.0 MiB were sent`,
      ),
    );
    assert.match(
      stderr,
      new RegExp(
        `VM ${CUT_VM} is unchanged, still on its old disks: the new files were deleted, and it was powered on again`,
      ),
    );
    assert.deepEqual(files(CUT_VM), before.files, "no restored file is left");
    assert.deepEqual(await vmState(cutVm), before.state, "the old disk is attached and the VM is on");
    assert.equal(await sha256(liveFlat(site, CUT_VM)), before.data, "the old disk is intact");
  });

  test("a VM deleted since the backup is refused, with the way to restore it as a new VM", async () => {
    await runTask("PowerOffVM_Task", cutVm);
    await runTask("Destroy_Task", cutVm);
    const r = await runCli(restoreArgs(cutRestorePoint, ["--yes"]), site.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      new RegExp(`\\(${CUT_VM}, instance UUID [0-9a-f-]+\\) no longer exists on 127\\.0\\.0\\.1:\\d+`),
    );
    assert.match(r.stderr, /hint: Restore it as a new VM: snapferry restore .* --to vsphere:\/\//);
  });
});

/** `bytes` random bytes at the start of `file`, the rest of `size` left as it was or sparse zeros. */
function writeRandomStart(file: string, bytes: number, size: number): void {
  const fd = openSync(file, "r+");
  try {
    ftruncateSync(fd, size);
    const junk = Buffer.alloc(bytes);
    for (let i = 0; i < bytes; i += 4) junk.writeUInt32LE((Math.random() * 0x100000000) >>> 0, i);
    writeSync(fd, junk, 0, bytes, 0);
  } finally {
    closeSync(fd);
  }
}

async function sha256(file: string): Promise<string> {
  const hash = createHash("sha256");
  for await (const chunk of createReadStream(file)) hash.update(chunk as Buffer);
  return hash.digest("hex");
}

async function restoredFlatGrowsPast(
  dir: string,
  bytes: number,
  child: { exitCode: number | null },
): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    const flat = readdirSync(dir).find((f) => RESTORED.test(f) && f.endsWith("-flat.vmdk"));
    if (flat && statSync(path.join(dir, flat)).size > bytes) return;
    if (child.exitCode !== null) throw new Error("the restore ended before its upload reached the cut");
    if (Date.now() > deadline) throw new Error(`no restored flat file grew past ${bytes} bytes within 30 s`);
    await sleep(5);
  }
}
