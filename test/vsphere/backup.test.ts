/**
 * `snapferry backup vsphere://...` end to end against vcsim behind the CBT harness: a full backup
 * of a VM whose disk holds a real ext4 file system, incrementals and a differential that read only
 * what CBT reports, a CBT reset that falls back to reading everything, an active full; each
 * restored and compared byte for byte with what the disk held when the snapshot was taken.
 */
import assert from "node:assert/strict";

import { after, before, describe, test } from "node:test";
import { Repository } from "../../main/repository/repository.js";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { vmConfigRecordOf } from "../../main/sources/vsphere/vm-config-record.js";
import { cliOk, lastLine, requireTool, TEST_PASSWORD } from "../support/cli.js";
import {
  backupArgs,
  backupSnapshotNames,
  changeBlocks,
  MiB,
  notesOf,
  resultOf,
  writeExt4,
  startSiteWithVm,
  type BackupSite,
  assertSiteRestores,
} from "./backup-fixtures.js";

const VM = "DC0_H0_VM0";
const SIZE = 64 * MiB;
const CHUNK = 256 * 1024;
const FLAT = `[LocalDS_0] ${VM}/disk1-flat.vmdk`;

describe("vSphere backup through the CLI (vcsim with the CBT harness)", () => {
  let site: BackupSite;
  let vm: MoRef;
  let live: string;
  let fullId = "";
  /** Blocks the "guest" wrote since the last backup's snapshot. */
  let writtenSince: number[] = [];

  const flatBytes = (): number => site.proxy.stats.folderBytes.get(FLAT) ?? 0;

  /** Restores `id` with the CLI and compares it with `expected` using cmp. */
  const assertRestores = (id: string, expected: Buffer, name: string): Promise<void> =>
    assertSiteRestores(site, id, expected, name);

  const noBackupSnapshotLeft = async (): Promise<void> => {
    assert.deepEqual(await backupSnapshotNames(site.client, vm), [], "the backup snapshot is removed");
  };

  before(async () => {
    requireTool("cmp", "diffutils");
    ({ site, vm, live } = await startSiteWithVm(VM, SIZE));
  });

  after(async () => {
    await site.stop();
  });

  test("a full backup restores bit for bit and records consistency, CBT origin and the VM's configuration", async () => {
    const image = writeExt4(site, live, SIZE, "vsphere-full");
    const r = await cliOk(backupArgs(site, VM, ["--enable-cbt"], false), site.env);
    fullId = lastLine(r.stdout);
    assert.match(fullId, /^[0-9a-f]{32}$/, "the last line is the restore point id");
    assert.match(r.stdout, /^full backup of vsphere:\/\/127\.0\.0\.1:\d+\/DC0\/vm\/DC0_H0_VM0: /m);
    assert.match(r.stdout, /^consistency: crash-consistent/m, "vcsim runs no VMware Tools");
    assert.match(
      r.stderr,
      /note: VMware Tools is not running in VM DC0_H0_VM0: taking a crash-consistent snapshot/,
    );
    assert.match(r.stderr, /note: removed the backup snapshot snapferry-[0-9a-f]+ of VM DC0_H0_VM0/);
    assert.match(r.stderr, /note: switched changed block tracking \(CBT\) on for VM DC0_H0_VM0/);
    // The live disk changes after the snapshot: the backup holds the snapshot's state.
    writtenSince = changeBlocks(live, 4, SIZE).offsets;
    await assertRestores(fullId, image, "full");
    await noBackupSnapshotLeft();

    const repo = await Repository.open(site.repo, () => Promise.resolve(TEST_PASSWORD));
    const rp = await repo.readRestorePoint(fullId);
    assert.equal(rp.type, "full");
    assert.equal(rp.consistency, "crash");
    assert.equal(rp.source.kind, "vsphere");
    assert.equal(rp.source.vm?.name, VM);
    const disk = rp.disks[0];
    assert.ok(disk && rp.disks.length === 1, "one disk");
    assert.equal(disk.size, SIZE);
    assert.equal(disk.origin?.file, `[LocalDS_0] ${VM}/disk1.vmdk`);
    assert.equal(typeof disk.origin?.deviceKey, "number");
    assert.match(disk.origin?.changeId ?? "", /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/\d+$/);
    const record = vmConfigRecordOf(rp.config, fullId);
    assert.ok(record, "vsphere-vm.json is stored");
    assert.equal(record.name, VM);
    assert.equal(record.instanceUuid, rp.source.vm?.uuid);
    assert.equal(record.disks[0]?.capacityBytes, SIZE);
    assert.equal(record.disks[0]?.deviceKey, disk.origin?.deviceKey);
    assert.equal(record.disks[0]?.index, 0);
    assert.ok(record.numCPUs >= 1 && record.memoryMB >= 1);
    assert.ok(record.nics.length >= 1 && record.nics[0]?.network, "the NIC and its network are recorded");
    // "*" skipped the unallocated areas: the file system is far from full.
    assert.ok(flatBytes() < SIZE, `a full backup reads allocated areas only (${flatBytes()} bytes)`);
    assert.ok(site.proxy.stats.soapMethods.includes("QueryChangedDiskAreas"));
  });

  test("an incremental reads only the chunks CBT reports changed and restores the new state", async () => {
    const { content, offsets: now } = changeBlocks(live, 31, SIZE); // ~3% of the 64 KiB blocks
    const offsets = [...writtenSince, ...now];
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM), site.env);
    const result = resultOf(r.stdout);
    assert.equal(result.type, "incremental");
    const chunks = new Set(offsets.map((o) => Math.floor(o / CHUNK)));
    const bound = chunks.size * CHUNK + 1; // + the one-byte probe that learns the file's size
    assert.ok(flatBytes() <= bound, `read ${flatBytes()} bytes, at most the ${chunks.size} changed chunks`);
    assert.ok(flatBytes() >= new Set(offsets).size * 64 * 1024, "every changed block was read");
    assert.ok(flatBytes() < SIZE / 4, "far below the disk's size");
    await assertRestores(result.restorePoint, content, "incremental");
    await noBackupSnapshotLeft();
  });

  test("a differential reads what changed since the full backup", async () => {
    const { content } = changeBlocks(live, 8, SIZE);
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM, ["--type", "differential"]), site.env);
    const result = resultOf(r.stdout);
    assert.equal(result.type, "differential");
    const repo = await Repository.open(site.repo, () => Promise.resolve(TEST_PASSWORD));
    assert.equal((await repo.readRestorePoint(result.restorePoint)).parent, fullId);
    assert.ok(flatBytes() < SIZE / 4, `read ${flatBytes()} bytes`);
    await assertRestores(result.restorePoint, content, "differential");
  });

  test("after a CBT reset the next incremental says so, reads the whole disk and restores bit for bit", async () => {
    site.proxy.resetChangeTracking(vm.value);
    const { content } = changeBlocks(live, 8, SIZE);
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM), site.env);
    const result = resultOf(r.stdout);
    assert.ok(
      notesOf(r.stdout).some((n) =>
        /CBT was reset on disk 0 .*: reading the whole disk and comparing hashes/.test(n),
      ),
      `the fallback is noted:\n${notesOf(r.stdout).join("\n")}`,
    );
    assert.ok(flatBytes() > 16 * MiB, `every allocated area was read (${flatBytes()} bytes)`);
    await assertRestores(result.restorePoint, content, "after-reset");
  });

  test("an active full reads every byte of the disk, CBT or not", async () => {
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM, ["--type", "active-full"]), site.env);
    assert.equal(resultOf(r.stdout).type, "full");
    assert.equal(flatBytes(), SIZE + 1);
    await noBackupSnapshotLeft();
  });
});
