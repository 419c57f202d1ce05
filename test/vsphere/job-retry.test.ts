/**
 * A scheduled job's retry after the network is cut mid-transfer, against vcsim behind the CBT
 * harness (which can cut the disk transfers). The first attempt fails with the cut; the job waits
 * its backoff and tries again, resuming from the checkpoint: the segments finished before the cut
 * are not read again (bytes moved are counted at the proxy), and the restore point restores the
 * disk bit for bit. The job runs through the real job service, catalog and run history.
 */
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, openSync, readFileSync, writeSync } from "node:fs";
import { after, before, describe, test } from "node:test";
import type { AppEvent } from "../../preload/contract.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import type { AppContext } from "../../main/services/app-context.js";
import { findJob, saveJob, startJobRun } from "../../main/services/job-service.js";
import { requireTool } from "../support/cli.js";
import { MiB, assertSiteRestores, startSiteWithVm, type BackupSite } from "./backup-fixtures.js";
import { vsphereJobSite } from "./job-site.js";

const VM = "DC0_H0_VM0";
const SIZE = 160 * MiB;
const SEGMENT = 64 * MiB; // 256 chunks of 256 KiB
const DATA_PER_SEGMENT = 12 * MiB;
/** Cut mid-way through the third segment's data, after the first two segments went out. */
const CUT_AFTER = 2 * DATA_PER_SEGMENT + 6 * MiB;
const FLAT = `[LocalDS_0] ${VM}/disk1-flat.vmdk`;

describe("a job retries a cut vSphere backup from its checkpoint (vcsim with the CBT harness)", () => {
  let site: BackupSite;
  let content: Buffer;
  let catalog: Catalog;
  let ctx: AppContext;
  const notices: string[] = [];

  before(async () => {
    requireTool("cmp", "diffutils");
    let live: string;
    ({ site, live } = await startSiteWithVm(VM, SIZE));
    const fd = openSync(live, "r+");
    try {
      ftruncateSync(fd, SIZE);
      for (const seg of [0, 1, 2])
        writeSync(fd, randomBytes(DATA_PER_SEGMENT), 0, DATA_PER_SEGMENT, seg * SEGMENT);
    } finally {
      closeSync(fd);
    }
    content = readFileSync(live);
    // The cut stays down until the job says it will retry: then the network "comes back".
    const events = (event: AppEvent): void => {
      if (event.type === "notice") notices.push(event.message);
      if (event.type === "log" && /retrying in \d+ s from where it stopped/.test(event.line.message)) {
        site.proxy.restoreFolderTransfers();
        site.proxy.stats.reset();
      }
    };
    const jobSite = await vsphereJobSite(site, events);
    ({ catalog, ctx } = jobSite);
    saveJob(catalog, "nightly", {
      version: 1,
      sourceId: jobSite.sourceId,
      selection: { kind: "vms", vms: [`DC0/vm/${VM}`] },
      repositoryId: jobSite.repositoryId,
      schedule: { kind: "daily", time: "22:00" },
      copies: [],
      concurrency: 1,
      retries: { attempts: 2, backoffSeconds: 1 },
      allowCrashConsistent: true,
    });
  });

  after(async () => {
    catalog.close();
    await site.stop();
  });

  test("the second attempt resumes, moves only the unfinished segment, and restores bit for bit", async () => {
    site.proxy.cutFolderTransfersAfter(CUT_AFTER, { stayDown: true });
    const started = startJobRun(ctx, findJob(catalog, "nightly"), { reason: "test" });
    const result = await started.result;
    await ctx.runs.idle();
    const log = catalog.runs.logs(started.runId).map((l) => l.message);
    const vm = result.vms[0];
    assert.equal(
      result.state,
      "warning",
      `vcsim's VMs run no VMware Tools: crash-consistent\n${log.join("\n")}`,
    );
    assert.equal(vm?.attempts, 2, log.join("\n"));
    assert.ok(
      log.some((m) => /attempt 1 failed .* retrying in 1 s from where it stopped/.test(m)),
      log.join("\n"),
    );
    assert.ok(
      log.some((m) => /resuming: \d+ segments already stored/.test(m)),
      log.join("\n"),
    );
    // After the retry began only the third segment's data crossed the network again.
    const moved = site.proxy.stats.folderBytes.get(FLAT) ?? 0;
    assert.ok(moved >= DATA_PER_SEGMENT && moved < 2 * DATA_PER_SEGMENT, `the retry moved ${moved} bytes`);
    await assertSiteRestores(site, vm?.restorePointId ?? "latest", content, "job-retry");
    assert.equal(catalog.runs.get(started.runId)?.status, "succeeded");
    assert.ok(
      notices.some((n) =>
        /^job "nightly" finished with warnings: DC0_H0_VM0: the backup is crash-consistent/.test(n),
      ),
      `the tray is told the run worked with a warning: ${notices.join(" | ")}`,
    );
  });
});
