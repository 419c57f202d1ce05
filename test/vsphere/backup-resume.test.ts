/**
 * `backup --resume` of a vSphere VM after a transfer cut, against vcsim behind the CBT harness. The
 * resumed run reads a NEW snapshot, so the interrupted run's finished segments may only be kept
 * where CBT says nothing changed since that run's snapshot: one finished segment is changed by
 * the "guest" in between and must be read again, another is untouched and must be kept unread, and
 * the restore must equal the disk at the resumed run's snapshot byte for byte. After a CBT reset
 * nothing can be vouched for, so everything is read again.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { Checkpoint } from "../../main/repository/checkpoint.js";
import { Repository } from "../../main/repository/repository.js";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { readVmState } from "../../main/sources/vsphere/vm-state.js";
import { cliOk, requireTool, runCli, TEST_PASSWORD } from "../support/cli.js";
import {
  backupArgs,
  MiB,
  notesOf,
  resultOf,
  snapshotNames,
  startSiteWithVm,
  type BackupSite,
  assertSiteRestores,
} from "./backup-fixtures.js";

const VM = "DC0_H0_VM0";
const SIZE = 160 * MiB;
/** A segment is 256 chunks: 64 MiB at the repository's 256 KiB chunks. */
const SEGMENT = 64 * MiB;
/** Random data at the start of each of the three segments; the rest of the disk is unallocated. */
const DATA_PER_SEGMENT = 12 * MiB;
const DATA = 3 * DATA_PER_SEGMENT;
/** Cut once the first two segments' data went out, mid-way through the third. */
const CUT_AFTER = 2 * DATA_PER_SEGMENT + 6 * MiB;
const FLAT = `[LocalDS_0] ${VM}/disk1-flat.vmdk`;
const CHANGE_ID = /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/\d+$/;

/** Writes `data` at each offset of the live flat file (the guest writing); returns the whole disk. */
function writeAt(file: string, writes: [number, Buffer][]): Buffer {
  const fd = openSync(file, "r+");
  try {
    ftruncateSync(fd, SIZE);
    for (const [offset, data] of writes) writeSync(fd, data, 0, data.length, offset);
  } finally {
    closeSync(fd);
  }
  return readFileSync(file);
}

describe("vSphere backup --resume after a cut (vcsim with the CBT harness)", () => {
  let site: BackupSite;
  let vm: MoRef;
  let live: string;
  let key = "";

  const flatBytes = (): number => site.proxy.stats.folderBytes.get(FLAT) ?? 0;

  const openRepo = (): Promise<Repository> =>
    Repository.open(site.repo, () => Promise.resolve(TEST_PASSWORD));

  /** A backup whose transfer goes down for good mid-way; returns the checkpoint it left. */
  const cutBackup = async (extra: string[]): Promise<Checkpoint> => {
    site.proxy.cutFolderTransfersAfter(CUT_AFTER, { stayDown: true });
    try {
      const r = await runCli(backupArgs(site, VM, extra, false), site.env);
      assert.equal(r.code, 1, `the cut backup fails:\n${r.stderr}`);
      assert.match(r.stderr, /failed after \d+ tries/);
    } finally {
      site.proxy.restoreFolderTransfers();
    }
    assert.deepEqual(
      (await snapshotNames(site.client, vm)).filter((n) => n.startsWith("snapferry-")),
      [],
      "the cut backup's snapshot is removed",
    );
    const checkpoint = await (await openRepo()).readCheckpoint(key);
    assert.ok(checkpoint, "the cut backup left a checkpoint");
    return checkpoint;
  };

  const assertRestores = (id: string, expected: Buffer, name: string): Promise<void> =>
    assertSiteRestores(site, id, expected, name);

  before(async () => {
    requireTool("cmp", "diffutils");
    ({ site, vm, live } = await startSiteWithVm(VM, SIZE));
    key = `vm:${(await readVmState(site.client, vm)).instanceUuid}`;
    writeAt(
      live,
      [0, 1, 2].map((seg) => [seg * SEGMENT, randomBytes(DATA_PER_SEGMENT)]),
    );
  });

  after(async () => {
    await site.stop();
  });

  test("a resume keeps the finished segment CBT vouches for, rereads the changed one, and restores the new snapshot", async () => {
    const checkpoint = await cutBackup(["--enable-cbt"]);
    const disk = checkpoint.disks[0];
    assert.equal(disk?.segments.length, 2, "the first two segments were finished before the cut");
    assert.match(disk.origin?.changeId ?? "", CHANGE_ID, "the checkpoint records the snapshot's change id");
    assert.equal(typeof disk.origin?.deviceKey, "number");

    // The guest writes into finished segment 0 and unfinished segment 2; segment 1 stays as it was.
    const content = writeAt(live, [
      [1 * MiB, randomBytes(64 * 1024)],
      [2 * SEGMENT + 2 * MiB, randomBytes(64 * 1024)],
    ]);
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM, ["--resume"]), site.env);
    const result = resultOf(r.stdout);
    const notes = notesOf(r.stdout);
    assert.ok(
      notes.some((n) => /^disk 0 \(.*\): 1 of 2 finished segments are unchanged .* and kept/.test(n)),
      `the kept segment is noted:\n${notes.join("\n")}`,
    );
    assert.ok(notes.includes("resuming: 1 segments already stored"), notes.join("\n"));
    // Segments 0 and 2 are read (their allocated areas); segment 1's data is not sent again.
    const redone = 2 * DATA_PER_SEGMENT;
    assert.ok(flatBytes() >= redone, `the changed segment is read again (${flatBytes()} bytes)`);
    assert.ok(
      flatBytes() <= DATA - DATA_PER_SEGMENT + 1,
      `the kept segment is not read again: ${flatBytes()} bytes, at most ${DATA - DATA_PER_SEGMENT + 1}`,
    );
    assert.equal(result.type, "full");
    await assertRestores(result.restorePoint, content, "resumed");

    const rp = await (await openRepo()).readRestorePoint(result.restorePoint);
    assert.match(rp.disks[0]?.origin?.changeId ?? "", CHANGE_ID);
    assert.notEqual(rp.disks[0]?.origin?.changeId, disk.origin?.changeId, "the new snapshot's change id");
    assert.equal(await (await openRepo()).readCheckpoint(key), undefined, "the checkpoint is gone");
  });

  test("after a CBT reset a resume reads every finished segment again and still restores bit for bit", async () => {
    writeAt(live, [[SEGMENT + 3 * MiB, randomBytes(64 * 1024)]]);
    const checkpoint = await cutBackup(["--type", "full"]);
    assert.equal(checkpoint.disks[0]?.segments.length, 2);
    site.proxy.resetChangeTracking(vm.value);
    const content = writeAt(live, [[5 * MiB, randomBytes(64 * 1024)]]);
    site.proxy.stats.reset();
    const r = await cliOk(backupArgs(site, VM, ["--resume", "--type", "full"]), site.env);
    const notes = notesOf(r.stdout);
    assert.ok(
      notes.some((n) =>
        /^disk 0 \(.*\): CBT was reset since the interrupted backup; its finished segments are read again$/.test(
          n,
        ),
      ),
      `the fallback is noted:\n${notes.join("\n")}`,
    );
    assert.ok(flatBytes() >= DATA, `every segment is read again (${flatBytes()} bytes)`);
    await assertRestores(resultOf(r.stdout).restorePoint, content, "after-reset");
  });
});
