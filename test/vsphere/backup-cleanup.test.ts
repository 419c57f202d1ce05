/**
 * The backup snapshot is always removed: after a transfer cut for good (the backup fails with an
 * error naming the disk, the offset and the cause), and after the CLI is killed with SIGKILL in
 * the middle of a backup (the snapshot stays, and the next backup's start removes it, saying so),
 * and after Ctrl-C (removed before the CLI exits).
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import { after, before, describe, test } from "node:test";
import { createInterface } from "node:readline";
import path from "node:path";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { cliOk, runCli, startCli } from "../support/cli.js";
import { assertRestores, restorePointIds } from "../support/repo-files.js";
import {
  backupArgs,
  backupSnapshotNames,
  MiB,
  notesOf,
  resultOf,
  writeExt4,
  startSiteWithVm,
  type BackupSite,
} from "./backup-fixtures.js";

const VM = "DC0_H0_VM0";
const SIZE = 32 * MiB;

describe("vSphere backup: the snapshot is removed however the job ends", () => {
  let site: BackupSite;
  let vm: MoRef;
  let image: Buffer;

  const backupSnapshots = (): Promise<string[]> => backupSnapshotNames(site.client, vm);

  before(async () => {
    let live: string;
    ({ site, vm, live } = await startSiteWithVm(VM, SIZE));
    image = writeExt4(site, live, SIZE, "vsphere-cleanup");
  });

  after(async () => {
    await site.stop();
  });

  test("a transfer cut for good fails the backup with a clear error, and the snapshot is removed", async () => {
    site.proxy.cutFolderTransfersAfter(4 * MiB, { stayDown: true });
    try {
      const r = await runCli(backupArgs(site, VM, [], false), site.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /snapferry: error: reading disk 0 \([^)]+\) \(\[LocalDS_0\] DC0_H0_VM0\/disk1-flat\.vmdk\) from 127\.0\.0\.1:\d+ at offset \d+ failed after 5 tries: /,
      );
      assert.match(r.stderr, /note: removed the backup snapshot snapferry-[0-9a-f]+ of VM DC0_H0_VM0/);
    } finally {
      site.proxy.restoreFolderTransfers();
    }
    assert.deepEqual(await backupSnapshots(), []);
    assert.deepEqual(await restorePointIds(site.repo), [], "no restore point was written");
  });

  test("Ctrl-C stops the backup and the snapshot is removed before the CLI exits", async () => {
    site.proxy.cutFolderTransfersAfter(2 * MiB, { stayDown: true });
    const child = startCli(backupArgs(site, VM), site.env);
    const exited = once(child, "exit");
    let stdout = "";
    try {
      const lines = createInterface({ input: child.stdout ?? process.stdin });
      for await (const line of lines) {
        stdout += line + "\n";
        if (line.includes('"progress"') && !stdout.includes("SIGINT sent")) {
          child.kill("SIGINT");
          stdout += "SIGINT sent\n";
        }
      }
      const [code] = (await exited) as [number | null];
      assert.equal(code, 1);
    } finally {
      site.proxy.restoreFolderTransfers();
    }
    assert.ok(
      notesOf(stdout).some((n) =>
        /^removed the backup snapshot snapferry-[0-9a-f]+ of VM DC0_H0_VM0$/.test(n),
      ),
      stdout,
    );
    assert.match(stdout, /"code":"cancelled"/);
    assert.deepEqual(await backupSnapshots(), []);
  });

  test("a killed backup leaves its snapshot; the next backup removes it, says so, and succeeds", async () => {
    // The link goes down once some data has flowed, so the job is surely mid-transfer when killed.
    site.proxy.cutFolderTransfersAfter(2 * MiB, { stayDown: true });
    const child = startCli(backupArgs(site, VM), site.env);
    const exited = once(child, "exit");
    try {
      const lines = createInterface({ input: child.stdout ?? process.stdin });
      for await (const line of lines) if (line.includes('"progress"')) break;
      child.kill("SIGKILL");
      await exited;
    } finally {
      site.proxy.restoreFolderTransfers();
    }
    const left = await backupSnapshots();
    assert.equal(left.length, 1, "the killed job's snapshot is still there");

    const r = await cliOk(backupArgs(site, VM), site.env);
    const removed = notesOf(r.stdout).find((n) =>
      n.startsWith(`removed the leftover backup snapshot ${left[0]}`),
    );
    assert.ok(removed, `the cleanup is noted:\n${notesOf(r.stdout).join("\n")}`);
    assert.match(
      removed,
      new RegExp(`its job \\(pid ${child.pid} on this host, started .*\\) is no longer running`),
    );
    assert.deepEqual(await backupSnapshots(), []);
    await assertRestores(site.repo, resultOf(r.stdout).restorePoint, path.join(site.dir, "restored"), image);
  });
});
