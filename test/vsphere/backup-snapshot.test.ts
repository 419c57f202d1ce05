/**
 * The backup snapshot's rules, through the CLI against vcsim behind the CBT harness: what refuses
 * a job before any snapshot is taken (the free licence, a chain at vSphere's limit, snapshots of
 * the user's own, a backup snapshot of another host's job), and how consistent the snapshot is
 * (quiesced when VMware Tools runs; a quiesce failure retried crash-consistent only when allowed).
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import type { VimClient } from "../../main/sources/vsphere/vim-client.js";
import { cliOk, runCli } from "../support/cli.js";
import { listing } from "../support/repo-files.js";
import {
  backupArgs,
  connectTo,
  createSnapshot,
  findVmRef,
  notesOf,
  removeAllSnapshots,
  resultOf,
  setToolsRunning,
  snapshotNames,
  startBackupSite,
  type BackupSite,
} from "./backup-fixtures.js";

const errorLine = (stderr: string): string =>
  stderr.split("\n").find((l) => l.startsWith("snapferry: error: ")) ?? "";

describe("vSphere backup snapshots: refusals before snapshotting, and consistency", () => {
  let site: BackupSite;
  /** Straight to vcsim, for set-up the harness need not see (31 snapshots are not frozen). */
  let direct: VimClient;
  let vm0: MoRef;
  let vm1: MoRef;

  const backupSnapshots = async (vm: MoRef): Promise<string[]> =>
    (await snapshotNames(site.client, vm)).filter((n) => n.startsWith("snapferry-"));

  before(async () => {
    site = await startBackupSite();
    direct = await connectTo(site.vcsim.host, site.vcsim.port);
    vm0 = await findVmRef(site.client, "DC0/vm/DC0_H0_VM0");
    vm1 = await findVmRef(site.client, "DC0/vm/DC0_H0_VM1");
  });

  after(async () => {
    await direct.close();
    await site.stop();
  });

  test("the free licence (RestrictedVersion) is named, the job fails and nothing is written to the repository", async () => {
    await cliOk(backupArgs(site, "DC0_H0_VM0"), site.env); // a first backup: the repository is not empty
    const before = listing(site.repo);
    site.proxy.injectFault("CreateSnapshot_Task", { kind: "RestrictedVersion" });
    const r = await runCli(backupArgs(site, "DC0_H0_VM0", [], false), site.env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      errorLine(r.stderr),
      /runs the free ESXi licence \(vSphere Hypervisor\), which forbids changes through the API: snapshots, backups and restores cannot run on it\. Read-only inventory still works/,
    );
    assert.match(r.stderr, /hint: Assign a paid vSphere licence/);
    assert.deepEqual(listing(site.repo), before, "the repository is untouched");
    assert.deepEqual(await backupSnapshots(vm0), []);
  });

  test("a snapshot chain 31 deep blocks the job with the depth message, before any snapshot", async () => {
    for (let i = 1; i <= 31; i++) await createSnapshot(direct, vm1, `level-${i}`);
    try {
      site.proxy.stats.reset();
      const r = await runCli(backupArgs(site, "DC0/vm/DC0_H0_VM1", [], false), site.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        errorLine(r.stderr),
        /Backups of VM DC0_H0_VM1 are blocked: its snapshot chain is 31 deep, and the backup's own snapshot would take it to vSphere's limit of 32/,
      );
      assert.ok(!site.proxy.stats.soapMethods.includes("CreateSnapshot_Task"), "no snapshot was attempted");
    } finally {
      await removeAllSnapshots(direct, vm1);
    }
  });

  test("a VM with a snapshot of its own is refused: its base disk holds the snapshot's state", async () => {
    await createSnapshot(direct, vm1, "before-upgrade");
    try {
      site.proxy.stats.reset();
      const r = await runCli(backupArgs(site, "DC0_H0_VM1", [], false), site.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        errorLine(r.stderr),
        /VM DC0_H0_VM1 has a snapshot of its own \("before-upgrade"\)\. .*hold the oldest snapshot's state, not the VM's current one/,
      );
      assert.match(r.stderr, /hint: Delete or consolidate the snapshots \(Snapshot Manager > Delete All/);
      assert.ok(!site.proxy.stats.soapMethods.includes("CreateSnapshot_Task"), "no snapshot was attempted");
    } finally {
      await removeAllSnapshots(direct, vm1);
    }
  });

  test("another host's recent backup snapshot is left alone and the job is refused as busy", async () => {
    const owner = {
      tool: "snapferry",
      job: "0123abcd",
      host: "other-host.example",
      pid: 4242,
      started: new Date().toISOString(),
    };
    await createSnapshot(direct, vm1, "snapferry-0123abcd", JSON.stringify(owner));
    try {
      const r = await runCli(backupArgs(site, "DC0_H0_VM1", [], false), site.env);
      assert.equal(r.code, 1, r.stderr);
      assert.match(
        r.stderr,
        /note: left the backup snapshot snapferry-0123abcd on VM DC0_H0_VM1 alone: it was made by host other-host\.example \(pid 4242, .*less than a day ago/,
      );
      assert.match(
        errorLine(r.stderr),
        /has the backup snapshot snapferry-0123abcd of another Snapferry job/,
      );
      assert.deepEqual(await backupSnapshots(vm1), ["snapferry-0123abcd"], "not removed");
    } finally {
      await removeAllSnapshots(direct, vm1);
    }
  });

  test("with VMware Tools running the snapshot is quiesced and the restore point application-consistent", async () => {
    await setToolsRunning(site, vm0);
    const r = await cliOk(backupArgs(site, "DC0_H0_VM0", [], false), site.env);
    assert.match(r.stdout, /^consistency: application-consistent/m);
    const json = await cliOk(backupArgs(site, "DC0_H0_VM0"), site.env);
    assert.equal(resultOf(json.stdout).consistency, "application");
    assert.ok(
      notesOf(json.stdout).some((n) =>
        /^changed block tracking \(CBT\) is off for VM DC0_H0_VM0: .*--enable-cbt/.test(n),
      ),
      "CBT being off is said, with how to switch it on",
    );
  });

  test("a quiesce failure fails the job unless --allow-crash-consistent, which retries once unquiesced", async () => {
    const quiesceFault = {
      kind: "vim" as const,
      faultType: "ApplicationQuiesceFault",
      message: "An error occurred while quiescing the virtual machine. The guest's VSS writer failed.",
    };
    site.proxy.injectFault("CreateSnapshot_Task", quiesceFault);
    const refused = await runCli(backupArgs(site, "DC0_H0_VM0", [], false), site.env);
    assert.equal(refused.code, 1, refused.stderr);
    assert.match(
      errorLine(refused.stderr),
      /VM DC0_H0_VM0 could not be quiesced .*VSS writer failed.*Nothing was backed up/,
    );
    assert.match(refused.stderr, /hint: .*--allow-crash-consistent/);

    site.proxy.injectFault("CreateSnapshot_Task", quiesceFault);
    const allowed = await cliOk(backupArgs(site, "DC0_H0_VM0", ["--allow-crash-consistent"]), site.env);
    assert.ok(
      notesOf(allowed.stdout).some((n) =>
        /quiescing VM DC0_H0_VM0 failed .*taking a crash-consistent snapshot instead/.test(n),
      ),
      allowed.stdout,
    );
    assert.equal(resultOf(allowed.stdout).consistency, "crash");
    assert.deepEqual(await backupSnapshots(vm0), []);
  });
});
