/**
 * The pieces of a vSphere backup on their own, against vcsim behind the CBT harness: the
 * QueryChangedDiskAreas loop over small answers, the range reader (concurrent reads, retries
 * after a cut, a clear error when the link stays down), finding a VM by name or path, and the pure
 * rules (who owns a backup snapshot, the VM configuration record, allocation maps).
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { spawnSync } from "node:child_process";
import { closeSync, ftruncateSync, openSync, writeSync } from "node:fs";
import { hostname } from "node:os";
import { after, before, describe, test } from "node:test";
import { CorruptDataError, SnapferryError } from "../../main/common/errors.js";
import { allocationFromAreas, queryChangedAreas } from "../../main/sources/vsphere/changed-areas.js";
import { DatastoreRangeReader, DiskReadError } from "../../main/sources/vsphere/datastore-reader.js";
import { parseMoRef, type MoRef } from "../../main/sources/vsphere/moref.js";
import { retrieveProperties } from "../../main/sources/vsphere/property-collector.js";
import { cleanupAllOrphanSnapshots } from "../../main/sources/vsphere/snapshot-cleanup.js";
import { judgeOwner } from "../../main/sources/vsphere/snapshot-owner.js";
import { requireReturnval } from "../../main/sources/vsphere/vim-client.js";
import { parseVmConfigRecord, serializeVmConfigRecord } from "../../main/sources/vsphere/vm-config-record.js";
import { deviceList, readDisks } from "../../main/sources/vsphere/vm-disks.js";
import { findVm } from "../../main/sources/vsphere/vm-lookup.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { isVimFault } from "../../main/sources/vsphere/vsphere-errors.js";
import {
  createSnapshot,
  findVmRef,
  growDisk,
  liveFlat,
  MiB,
  removeAllSnapshots,
  snapshotNames,
  startBackupSite,
  type BackupSite,
} from "./backup-fixtures.js";

const BLOCK = 64 * 1024;
const SIZE = 8 * MiB;
const VM = "DC0_H0_VM1";
const FLAT = { datastore: "LocalDS_0", path: `${VM}/disk1-flat.vmdk` };

function writeBlocks(file: string, blocks: Map<number, Buffer>): void {
  const fd = openSync(file, "r+");
  try {
    ftruncateSync(fd, SIZE);
    for (const [block, data] of blocks) writeSync(fd, data, 0, data.length, block * BLOCK);
  } finally {
    closeSync(fd);
  }
}

function blocksOf(ranges: { offset: number; length: number }[]): number[] {
  const blocks: number[] = [];
  for (const r of ranges)
    for (let b = r.offset / BLOCK; b < (r.offset + r.length) / BLOCK; b++) blocks.push(b);
  return blocks;
}

describe("vSphere backup pieces against vcsim and the CBT harness", () => {
  let site: BackupSite;
  let vm: MoRef;
  const content = Buffer.alloc(SIZE);

  const latestSnapshot = async (): Promise<{ ref: MoRef; deviceKey: number; changeId: string }> => {
    const { props } = await retrieveProperties(site.client, vm, ["snapshot.currentSnapshot"]);
    const node = props.get("snapshot.currentSnapshot");
    assert.ok(node, "the VM has a current snapshot");
    const ref = parseMoRef(node, site.client.server);
    const devices = await retrieveProperties(site.client, ref, ["config.hardware.device"]);
    const [disk] = readDisks(deviceList(devices.props.get("config.hardware.device")), {
      server: site.client.server,
    });
    assert.ok(disk?.changeId, "the snapshot's disk has a change id");
    return { ref, deviceKey: disk.key, changeId: disk.changeId };
  };

  before(async () => {
    // Small answers (1 MiB, 2 areas) force many calls even on a small disk.
    site = await startBackupSite({ windowBytes: 1 * MiB, maxAreasPerCall: 2 });
    vm = await findVmRef(site.client, `DC0/vm/${VM}`);
    await growDisk(site.client, vm, SIZE);
    const blocks = new Map<number, Buffer>();
    for (const b of [0, 1, 2, 5, 17, 18, 40, 41, 42, 43, 77, 100, 127]) blocks.set(b, randomBytes(BLOCK));
    for (const [b, data] of blocks) data.copy(content, b * BLOCK);
    writeBlocks(liveFlat(site, VM), blocks);
    await createSnapshot(site.client, vm, "cbt-1");
  });

  after(async () => {
    await site.stop();
  });

  test("QueryChangedDiskAreas is looped until the disk is covered: '*' then a change id", async () => {
    const first = await latestSnapshot();
    site.proxy.stats.reset();
    const allocated = await queryChangedAreas(site.client, {
      vm,
      snapshot: first.ref,
      deviceKey: first.deviceKey,
      capacityBytes: SIZE,
      changeId: "*",
    });
    assert.deepEqual(blocksOf(allocated), [0, 1, 2, 5, 17, 18, 40, 41, 42, 43, 77, 100, 127]);
    const calls = site.proxy.stats.soapMethods.filter((m) => m === "QueryChangedDiskAreas").length;
    assert.ok(calls >= 8, `one answer covers at most 1 MiB of the 8 MiB disk (${calls} calls)`);

    const later = new Map([3, 41, 126].map((b) => [b, randomBytes(BLOCK)]));
    writeBlocks(liveFlat(site, VM), later);
    await createSnapshot(site.client, vm, "cbt-2");
    const second = await latestSnapshot();
    const changed = await queryChangedAreas(site.client, {
      vm,
      snapshot: second.ref,
      deviceKey: second.deviceKey,
      capacityBytes: SIZE,
      changeId: first.changeId,
    });
    assert.deepEqual(blocksOf(changed), [3, 41, 126]);
    for (const [b, data] of later) data.copy(content, b * BLOCK);

    site.proxy.resetChangeTracking(vm.value);
    await createSnapshot(site.client, vm, "cbt-3");
    const third = await latestSnapshot();
    await assert.rejects(
      queryChangedAreas(site.client, {
        vm,
        snapshot: third.ref,
        deviceKey: third.deviceKey,
        capacityBytes: SIZE,
        changeId: first.changeId,
      }),
      (err: unknown) => isVimFault(err, "InvalidArgument"),
      "a change id from before a CBT reset is refused as ESXi does",
    );
  });

  test("the range reader serves concurrent reads, retries a cut, and names disk, offset and cause when the link stays down", async () => {
    const open = (attempts: number) =>
      DatastoreRangeReader.open({
        client: site.client,
        datacenterPath: "DC0",
        file: FLAT,
        label: "disk 0 (test)",
        retry: { attempts, firstDelayMs: 20 },
      });
    const reader = await open(4);
    assert.equal(reader.fileSize, SIZE);
    const offsets = [0, 5, 17, 40, 41, 77, 100, 127].map((b) => b * BLOCK);
    const read = async (offset: number, length = 3 * BLOCK): Promise<Buffer> => {
      const target = Buffer.alloc(Math.min(length, SIZE - offset));
      await reader.read(offset, target);
      return target;
    };
    const results = await Promise.all(offsets.map((o) => read(o)));
    for (const [i, offset] of offsets.entries()) {
      assert.ok(results[i]?.equals(content.subarray(offset, offset + 3 * BLOCK)), `range at ${offset}`);
    }

    site.proxy.cutFolderTransfersAfter(100 * 1024); // one blip, mid-answer
    const whole = await read(0, 2 * MiB);
    assert.ok(whole.equals(content.subarray(0, 2 * MiB)), "a cut answer is retried and completed");

    const failing = await open(3);
    site.proxy.cutFolderTransfersAfter(10 * 1024, { stayDown: true });
    try {
      await assert.rejects(failing.read(3 * MiB, Buffer.alloc(MiB)), (err: unknown) => {
        assert.ok(err instanceof DiskReadError, String(err));
        assert.equal(err.code, "network");
        assert.match(
          err.message,
          /^reading disk 0 \(test\) \(\[LocalDS_0\] DC0_H0_VM1\/disk1-flat\.vmdk\) from 127\.0\.0\.1:\d+ at offset 3145728 failed after 3 tries: the connection .*was cut/,
        );
        return true;
      });
    } finally {
      site.proxy.restoreFolderTransfers();
    }
  });

  test("reads past the end of a short flat file are zeros", async () => {
    await removeAllSnapshots(site.client, vm);
    const short = { datastore: "LocalDS_0", path: "DC0_H0_VM0/disk1-flat.vmdk" }; // vcsim leaves it empty
    const reader = await DatastoreRangeReader.open({
      client: site.client,
      datacenterPath: "DC0",
      file: short,
      label: "d",
    });
    assert.equal(reader.fileSize, 0);
    const target = Buffer.alloc(BLOCK, 0xff);
    await reader.read(0, target);
    assert.ok(target.equals(Buffer.alloc(BLOCK)));
  });

  test("a VM is found by name or inventory path; a missing or ambiguous name lists the candidates", async () => {
    const byName = await findVm(site.client, [VM]);
    assert.deepEqual(byName.inventoryPath, ["DC0", "vm", VM]);
    assert.equal(byName.datacenterPath, "DC0");
    const byPath = await findVm(site.client, ["DC0", "vm", VM]);
    assert.deepEqual(byPath.ref, byName.ref);

    await assert.rejects(findVm(site.client, ["DC0_H0"]), (err: unknown) => {
      assert.ok(err instanceof SnapferryError && err.code === "not-found");
      assert.match(
        err.message,
        /no VM "DC0_H0" on .*; VMs with a similar name: DC0\/vm\/DC0_H0_VM0, DC0\/vm\/DC0_H0_VM1/,
      );
      return true;
    });
    await assert.rejects(findVm(site.client, ["DC0", "vm", "nope"]), /no VM "DC0\/vm\/nope"/);

    // A second VM of the same name, in another folder.
    const vmFolder = await findVmRef(site.client, "DC0/vm");
    const created = await site.client.invoke("CreateFolder", { _this: vmFolder, name: "team" });
    const team = parseMoRef(requireReturnval(created, site.client.server), site.client.server);
    const clone = await site.client.invoke("CloneVM_Task", {
      _this: vm,
      folder: team,
      name: VM,
      spec: { fields: { location: { fields: {} }, template: false, powerOn: false } },
    });
    const task = parseMoRef(requireReturnval(clone, site.client.server), site.client.server);
    await waitForTask(site.client, task, { timeoutMs: 30_000 });
    await assert.rejects(findVm(site.client, [VM]), (err: unknown) => {
      assert.ok(err instanceof SnapferryError && err.code === "usage");
      assert.match(err.message, new RegExp(`2 VMs on .* are named "${VM}": DC0/vm/${VM}, DC0/vm/team/${VM}`));
      assert.match(err.hint ?? "", /inventory path/);
      return true;
    });
    assert.deepEqual((await findVm(site.client, ["DC0", "vm", "team", VM])).inventoryPath, [
      "DC0",
      "vm",
      "team",
      VM,
    ]);
  });

  test("the app's start-up cleanup removes backup snapshots of dead jobs on every VM, and nothing else", async () => {
    const other = await findVmRef(site.client, "DC0/vm/DC0_C0_RP0_VM0");
    const dead = spawnSync(process.execPath, ["-e", ""]).pid; // a process that has exited
    const owner = {
      tool: "snapferry",
      job: "deadbeef",
      host: hostname(),
      pid: dead,
      started: new Date().toISOString(),
    };
    await createSnapshot(site.client, other, "before-patching");
    await createSnapshot(site.client, other, "snapferry-deadbeef", JSON.stringify(owner));
    const notes: string[] = [];
    const results = await cleanupAllOrphanSnapshots(site.client, { note: (n) => notes.push(n) });
    assert.deepEqual(
      results.map((r) => [r.vm, r.removed]),
      [["DC0_C0_RP0_VM0", ["snapferry-deadbeef"]]],
    );
    assert.match(
      notes.join("\n"),
      new RegExp(
        `removed the leftover backup snapshot snapferry-deadbeef of VM DC0_C0_RP0_VM0: its job \\(pid ${dead} on this host`,
      ),
    );
    assert.deepEqual(
      await snapshotNames(site.client, other),
      ["before-patching"],
      "the user's snapshot stays",
    );
    await removeAllSnapshots(site.client, other);
  });

  test("who owns a backup snapshot: a dead pid here, or a day's age elsewhere, makes an orphan", () => {
    const now = new Date("2026-01-02T12:00:00Z");
    const ctx = { host: "here", now, isAlive: (pid: number) => pid === 100 };
    const owner = (host: string, pid: number) =>
      JSON.stringify({ tool: "snapferry", job: "j", host, pid, started: "2026-01-02T11:00:00Z" });
    const recent = new Date("2026-01-02T11:00:00Z");
    const old = new Date("2025-12-31T11:00:00Z");
    assert.equal(judgeOwner(owner("here", 100), old, ctx).orphan, false, "a running job's snapshot is kept");
    assert.equal(judgeOwner(owner("here", 101), recent, ctx).orphan, true, "a dead job's snapshot goes");
    assert.equal(
      judgeOwner(owner("there", 101), recent, ctx).orphan,
      false,
      "another host's fresh one stays",
    );
    assert.equal(judgeOwner(owner("there", 101), old, ctx).orphan, true, "another host's old one goes");
    assert.equal(judgeOwner("made by hand", recent, ctx).orphan, false, "no owner recorded: kept for a day");
    assert.equal(judgeOwner("made by hand", old, ctx).orphan, true);
  });

  test("the VM configuration record round-trips and a damaged one is named", () => {
    const record = {
      version: 1 as const,
      name: "web01",
      instanceUuid: "5003-aa",
      guestId: "ubuntu64Guest",
      numCPUs: 2,
      memoryMB: 4096,
      firmware: "efi" as const,
      disks: [
        {
          index: 0,
          deviceKey: 2000,
          capacityBytes: SIZE,
          controllerKey: 1000,
          controllerType: "pvscsi" as const,
          busNumber: 0,
          unitNumber: 0,
          thin: true,
          file: "[ds1] web01/web01.vmdk",
        },
      ],
      nics: [{ network: "VM Network", adapterType: "vmxnet3" }],
    };
    assert.deepEqual(parseVmConfigRecord(serializeVmConfigRecord(record), "rp"), record);
    const broken = { ...record, disks: [{ ...record.disks[0], controllerType: "scsi-magic" }] };
    assert.throws(
      () => parseVmConfigRecord(JSON.stringify(broken), "restore point 1a2b"),
      (err: unknown) =>
        err instanceof CorruptDataError &&
        /of restore point 1a2b disk entry 0 has an unknown controllerType scsi-magic/.test(err.message),
    );
    assert.throws(() => parseVmConfigRecord("{", "rp"), /is not valid JSON/);
  });

  test("an allocation map from CBT areas covers the whole disk, data and holes", () => {
    const extents = allocationFromAreas(
      [
        { offset: BLOCK, length: BLOCK },
        { offset: 4 * BLOCK, length: 2 * BLOCK },
      ],
      8 * BLOCK,
    );
    assert.deepEqual(
      extents.map((e) => [e.offset / BLOCK, e.length / BLOCK, e.kind]),
      [
        [0, 1, "zero"],
        [1, 1, "data"],
        [2, 2, "zero"],
        [4, 2, "data"],
        [6, 2, "zero"],
      ],
    );
  });
});
