/**
 * The job runner's order and decisions, with a fake clock and scripted outcomes: retries with
 * backoff, the backup window, active fulls, the final states, retention and copies only after
 * something was made. The services it drives are tested for real in test/integration/jobs.
 */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { backupKindFor } from "../../main/jobs/backup-policy.js";
import type { JobDeps, VmBackup, VmTarget } from "../../main/jobs/job-runner.js";
import { runJob } from "../../main/jobs/job-runner.js";
import type { JobSettings } from "../../main/jobs/job-settings.js";
import type { BackupKind } from "../../main/services/repository-service.js";
import type { RestorePoint } from "../../main/repository/restore-point.js";
import { estimateStored } from "../../main/services/job-deps.js";
import { FakeClock } from "../support/fake-clock.js";

const START = new Date("2026-11-27T22:00:00Z");

function settings(extra: Partial<JobSettings> = {}): JobSettings {
  return {
    version: 1,
    sourceId: "src",
    selection: { kind: "source" },
    repositoryId: "repo-a",
    schedule: null,
    timeZone: "UTC",
    copies: [],
    concurrency: 1,
    retries: { attempts: 3, backoffSeconds: 30 },
    allowCrashConsistent: false,
    ...extra,
  };
}

type Script = (vm: VmTarget, attempt: number, clock: FakeClock) => VmBackup | Error;

function deps(vms: string[], script: Script, clock = new FakeClock(START)) {
  const calls: string[] = [];
  const attempts = new Map<string, number>();
  const d: JobDeps = {
    clock,
    resolveVms: () => Promise.resolve(vms.map((name) => ({ key: name, name }))),
    lastFull: () => Promise.resolve(null),
    backupVm: (vm, kind: BackupKind) => {
      const attempt = (attempts.get(vm.key) ?? 0) + 1;
      attempts.set(vm.key, attempt);
      calls.push(`${vm.name}:${kind}:${attempt}`);
      const outcome = script(vm, attempt, clock);
      return outcome instanceof Error ? Promise.reject(outcome) : Promise.resolve(outcome);
    },
    applyRetention: (repo, _policy, ids) => {
      calls.push(`retention:${repo}:${ids.join(",")}`);
      return Promise.resolve({ removed: 1 });
    },
    copy: (from, to, ids) => {
      calls.push(`copy:${from}->${to}:${ids.join(",")}`);
      return Promise.resolve({ copied: ids.length });
    },
  };
  return { d, calls, clock };
}

const ok = (id: string, warnings: string[] = []): VmBackup => ({
  restorePointId: id,
  bytesRead: 10,
  bytesStored: 5,
  warnings,
});

describe("job runner", () => {
  it("retries a transient failure with backoff and succeeds, then applies retention and copies", async () => {
    const { d, calls, clock } = deps(["web", "db"], (vm, attempt) =>
      vm.name === "db" && attempt < 3
        ? new SnapferryError("network", "connection reset")
        : ok(`rp-${vm.name}`),
    );
    const result = await runJob(
      "nightly",
      settings({
        retention: { last: 7, daily: 0, weekly: 0, monthly: 0, yearly: 0 },
        copies: [{ repositoryId: "usb", retention: { last: 3, daily: 0, weekly: 0, monthly: 0, yearly: 0 } }],
      }),
      d,
    );
    assert.equal(result.state, "success");
    assert.deepEqual(clock.sleeps, [30_000, 60_000], "exponential backoff");
    assert.deepEqual(calls, [
      "web:incremental:1",
      "db:incremental:1",
      "db:incremental:2",
      "db:incremental:3",
      "retention:repo-a:rp-web,rp-db",
      "copy:repo-a->usb:rp-web,rp-db",
      "retention:usb:rp-web,rp-db",
    ]);
    assert.equal(result.vms[1]?.attempts, 3);
  });

  it("does not retry what would fail again, and fails the job while keeping the others' results", async () => {
    const { d, calls } = deps(["web", "db"], (vm) =>
      vm.name === "web"
        ? new SnapferryError("wrong-password", "wrong password for repository X")
        : ok("rp-db"),
    );
    const result = await runJob(
      "nightly",
      settings({ retention: { last: 1, daily: 0, weekly: 0, monthly: 0, yearly: 0 } }),
      d,
    );
    assert.equal(result.state, "failed");
    assert.deepEqual(calls, ["web:incremental:1", "db:incremental:1", "retention:repo-a:rp-db"]);
    assert.equal(result.vms[0]?.state, "failed");
    assert.match(result.vms[0]?.messages[0] ?? "", /wrong password/);
    assert.equal(result.vms[1]?.state, "success");
  });

  it("gives up after the last retry and says how many attempts were made", async () => {
    const { d } = deps(
      ["web"],
      () => new SnapferryError("vsphere-busy", "another task is running on the VM"),
    );
    const result = await runJob("nightly", settings({ retries: { attempts: 2, backoffSeconds: 10 } }), d);
    assert.equal(result.state, "failed");
    assert.equal(result.vms[0]?.attempts, 3);
    assert.deepEqual(result.followUps, [], "no retention or copy after a run that made nothing");
  });

  it("finishes the current VM when the window ends, then stops cleanly and says so", async () => {
    // Each backup takes 50 minutes from 22:00; the window ends at 23:30, mid-way through the second.
    const { d, calls } = deps(["a", "b", "c"], (vm, _attempt, clock) => {
      clock.advance(50 * 60_000);
      return ok(`rp-${vm.name}`);
    });
    const notes: string[] = [];
    const result = await runJob("nightly", settings({ window: { end: "23:30" } }), d, {
      note: (t) => notes.push(t),
    });
    assert.deepEqual(calls, ["a:incremental:1", "b:incremental:1"]);
    assert.equal(result.stoppedByWindow, true);
    assert.equal(result.vms[2]?.state, "skipped");
    assert.match(result.vms[2]?.messages[0] ?? "", /backup window ended at 23:30/);
    assert.equal(result.state, "warning");
    assert.ok(notes.some((n) => /window ended/.test(n)));
  });

  it("fails a VM whose pre-check fails, before any backup of it starts", async () => {
    const { d, calls } = deps(["web", "db"], (vm) => ok(`rp-${vm.name}`));
    d.preCheck = (vm) =>
      vm.name === "db"
        ? Promise.reject(
            new SnapferryError(
              "disk-full",
              "the repository's disk has 1 GiB free, and this backup needs about 3 GiB",
            ),
          )
        : Promise.resolve();
    const result = await runJob("nightly", settings(), d);
    assert.deepEqual(calls, ["web:incremental:1"]);
    assert.equal(result.vms[1]?.state, "failed");
    assert.match(result.vms[1]?.messages[0] ?? "", /needs about 3 GiB/);
  });

  it("reports a warning when a VM worked but not as asked", async () => {
    const { d } = deps(["web"], () =>
      ok("rp", ["VMware Tools not running: the snapshot is crash-consistent"]),
    );
    const result = await runJob("nightly", settings(), d);
    assert.equal(result.state, "warning");
    assert.equal(result.vms[0]?.state, "warning");
  });

  it("runs VMs side by side up to the concurrency setting", async () => {
    let running = 0;
    let most = 0;
    const clock = new FakeClock(START);
    const d: JobDeps = {
      ...deps([], () => ok("x"), clock).d,
      resolveVms: () => Promise.resolve(["a", "b", "c", "d"].map((n) => ({ key: n, name: n }))),
      backupVm: async (vm) => {
        running++;
        most = Math.max(most, running);
        await new Promise((r) => setTimeout(r, 5));
        running--;
        return ok(`rp-${vm.name}`);
      },
    };
    const result = await runJob("nightly", settings({ concurrency: 2 }), d);
    assert.equal(result.state, "success");
    assert.equal(most, 2);
  });
});

describe("backup kind policy", () => {
  const now = new Date("2026-11-27T22:00:00Z"); // a Friday
  it("takes an active full when none exists or the last is older than the period", () => {
    const every2: Pick<JobSettings, "activeFull" | "timeZone"> = {
      activeFull: { kind: "every-weeks", weeks: 2 },
      timeZone: "UTC",
    };
    assert.equal(backupKindFor(every2, now, null), "active-full");
    assert.equal(backupKindFor(every2, now, new Date("2026-11-20T22:00:00Z")), "incremental");
    assert.equal(backupKindFor(every2, now, new Date("2026-11-13T22:00:00Z")), "active-full");
    assert.equal(
      backupKindFor({ timeZone: "UTC" }, now, null),
      "incremental",
      "no policy: always incremental",
    );
  });
  it("takes an active full on the chosen weekday, once", () => {
    const fridays: Pick<JobSettings, "activeFull" | "timeZone"> = {
      activeFull: { kind: "weekday", day: 5 },
      timeZone: "UTC",
    };
    assert.equal(backupKindFor(fridays, now, new Date("2026-11-20T22:00:00Z")), "active-full");
    assert.equal(
      backupKindFor(fridays, now, new Date("2026-11-27T21:00:00Z")),
      "incremental",
      "already today",
    );
    assert.equal(
      backupKindFor(fridays, new Date("2026-11-26T22:00:00Z"), new Date("2026-11-20T22:00:00Z")),
      "incremental",
    );
  });
});

describe("space estimate of a job's pre-check", () => {
  const point = (type: "full" | "incremental", stored: number) =>
    ({ type, disks: [{ stats: { bytesStored: stored } }] }) as unknown as RestorePoint;
  it("takes the largest of the last incrementals, or the last full, with a margin", () => {
    const history = [
      point("full", 1000),
      point("incremental", 50),
      point("incremental", 80),
      point("incremental", 60),
    ];
    assert.equal(estimateStored(history, "incremental"), 96);
    assert.equal(estimateStored(history, "active-full"), 1200);
    assert.equal(estimateStored([point("full", 1000)], "incremental"), 1200, "no incremental yet: the full");
    assert.equal(estimateStored([], "incremental"), null, "no history: the backup's own check applies");
  });
});
