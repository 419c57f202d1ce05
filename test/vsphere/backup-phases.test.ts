/**
 * The phases of a vSphere backup as `snapferry backup --json` reports them: the pre-checks, the
 * snapshot, the transfer, the commit of the restore point and the snapshot's removal, in that
 * order, each once; a failed backup still reports the removal (and no commit); without --json the
 * output gains nothing and still ends with the id.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { cliOk, lastLine, runCli } from "../support/cli.js";
import {
  backupArgs,
  jsonObjects,
  MiB,
  resultOf,
  snapshotNames,
  startSiteWithVm,
  writeExt4,
  type BackupSite,
} from "./backup-fixtures.js";

const VM = "DC0_H0_VM0";
const SIZE = 32 * MiB;

describe("vSphere backup phases through the CLI (vcsim with the CBT harness)", () => {
  let site: BackupSite;
  let vm: MoRef;
  let live: string;

  before(async () => {
    ({ site, vm, live } = await startSiteWithVm(VM, SIZE));
  });

  after(async () => {
    await site.stop();
  });

  test("--json reports pre-check, snapshot, transfer, commit and snapshot-removal in order", async () => {
    writeExt4(site, live, SIZE, "vsphere-phases");
    const r = await cliOk(backupArgs(site, VM, ["--enable-cbt"]), site.env);
    const objects = jsonObjects(r.stdout);
    const phases = objects.map((o) => o.phase).filter((p) => p !== undefined);
    assert.deepEqual(phases, ["pre-check", "snapshot", "transfer", "commit", "snapshot-removal"]);
    // The phases come as they happen: the restore point is the last word, after the removal.
    const removal = objects.findIndex((o) => o.phase === "snapshot-removal");
    const result = objects.findIndex((o) => typeof o.restorePoint === "string");
    assert.ok(removal >= 0 && removal < result, "the snapshot is removed before the result is printed");
    assert.match(resultOf(r.stdout).restorePoint, /^[0-9a-f]{32}$/);
    assert.deepEqual(
      (await snapshotNames(site.client, vm)).filter((n) => n.startsWith("snapferry-")),
      [],
      "the backup snapshot is gone",
    );
  });

  test("a failed backup reports the snapshot's removal and no commit", async () => {
    site.proxy.cutFolderTransfersAfter(4 * MiB, { stayDown: true });
    try {
      const r = await runCli(backupArgs(site, VM, ["--type", "active-full"]), site.env);
      assert.equal(r.code, 1, r.stderr);
      const phases = jsonObjects(r.stdout)
        .map((o) => o.phase)
        .filter((p) => p !== undefined);
      assert.deepEqual(phases, ["pre-check", "snapshot", "transfer", "snapshot-removal"]);
    } finally {
      site.proxy.restoreFolderTransfers();
    }
    assert.deepEqual(
      (await snapshotNames(site.client, vm)).filter((n) => n.startsWith("snapferry-")),
      [],
      "the backup snapshot is gone",
    );
  });

  test("without --json no phase is printed and the last line stays the restore point id", async () => {
    const r = await cliOk(backupArgs(site, VM, [], false), site.env);
    assert.doesNotMatch(r.stdout + r.stderr, /phase|pre-check|snapshot-removal/);
    assert.match(lastLine(r.stdout), /^[0-9a-f]{32}$/);
  });
});
