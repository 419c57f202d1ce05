/**
 * The scheduler against a fake clock and timer, with its state in a real SQLite catalog: slots
 * fire on time, a slot missed while "off" runs once at start and says so, a still-running job
 * skips its slot, and a restart does not run anything twice.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { Scheduler, type SchedulableJob, type Timer } from "../../main/jobs/scheduler.js";
import { FakeClock } from "../support/fake-clock.js";
import { makeTempDir } from "../support/tmp.js";

class FakeTimer implements Timer {
  pending: { at: number; fn: () => void } | null = null;
  constructor(private readonly clock: FakeClock) {}
  set(ms: number, fn: () => void): () => void {
    const entry = { at: this.clock.now().getTime() + ms, fn };
    this.pending = entry;
    return () => {
      if (this.pending === entry) this.pending = null;
    };
  }
  /** Moves the clock to the pending wake-up and fires it. */
  fire(): void {
    const p = this.pending;
    assert.ok(p, "no wake-up is pending");
    this.clock.advance(p.at - this.clock.now().getTime());
    this.pending = null;
    p.fn();
  }
}

const tmp = makeTempDir("scheduler");
after(() => tmp.cleanup());

function setup(now: string, name: string, createdAt = "2026-11-01T12:00:00.000Z") {
  const catalog: Catalog = openCatalog(path.join(tmp.dir, `${name}.sqlite`));
  const job = catalog.jobs.save({
    id: "job-1",
    name: "nightly",
    kind: "backup",
    settings: {},
    createdAt,
  });
  const scheduled: SchedulableJob = {
    id: job.id,
    name: job.name,
    schedule: { kind: "daily", time: "22:00" },
    timeZone: "UTC",
    createdAt: job.createdAt,
  };
  const clock = new FakeClock(new Date(now));
  const timer = new FakeTimer(clock);
  const runs: { reason: string; at: string }[] = [];
  const logs: string[] = [];
  let running = false;
  const scheduler = new Scheduler({
    clock,
    timer,
    jobs: () => [scheduled],
    lastSlot: (id) => catalog.jobs.lastSlot(id),
    setLastSlot: (id, slot) => catalog.jobs.setLastSlot(id, slot),
    isRunning: () => running,
    run: (_job, reason) => runs.push({ reason, at: clock.now().toISOString() }),
    log: (m) => logs.push(m),
  });
  return { catalog, clock, timer, runs, logs, scheduler, setRunning: (r: boolean) => (running = r) };
}

describe("scheduler", () => {
  it("wakes at each slot and runs the job", () => {
    const s = setup("2026-11-27T21:00:00Z", "on-time");
    s.catalog.jobs.setLastSlot("job-1", "2026-11-26T22:00:00.000Z");
    s.scheduler.start();
    assert.equal(s.runs.length, 0, "nothing due at 21:00");
    s.timer.fire();
    assert.deepEqual(s.runs.slice(), [
      { reason: "scheduled for 2026-11-27T22:00:00.000Z", at: "2026-11-27T22:00:00.000Z" },
    ]);
    s.timer.fire();
    assert.equal(s.runs[1]?.at, "2026-11-28T22:00:00.000Z");
    assert.equal(s.catalog.jobs.lastSlot("job-1"), "2026-11-28T22:00:00.000Z");
    s.catalog.close();
  });

  it("runs a slot missed while off once at start, says so, and not again after a restart", () => {
    const s = setup("2026-11-27T08:00:00Z", "missed");
    s.catalog.jobs.setLastSlot("job-1", "2026-11-23T22:00:00.000Z");
    s.scheduler.start();
    assert.equal(s.runs.length, 1, "three slots missed, one run");
    assert.match(
      s.runs[0]?.reason ?? "",
      /the run due 2026-11-26T22:00:00.000Z was missed .* it runs now, once/,
    );
    s.scheduler.stop();
    // Restarted an hour later: the missed slot was recorded, nothing runs again.
    s.clock.advance(3600_000);
    s.scheduler.start();
    assert.equal(s.runs.length, 1);
    assert.equal(
      s.timer.pending?.at,
      Date.parse("2026-11-27T22:00:00Z"),
      "the next wake-up is tonight's slot",
    );
    s.catalog.close();
  });

  it("makes up a slot the machine slept through when the timer fires late", () => {
    const s = setup("2026-11-27T21:00:00Z", "slept");
    s.catalog.jobs.setLastSlot("job-1", "2026-11-26T22:00:00.000Z");
    s.scheduler.start();
    // Asleep from 21:30 to 09:00 the next day: the timer fires only then.
    s.clock.advance(12 * 3600_000);
    s.scheduler.tick();
    assert.equal(s.runs.length, 1);
    assert.match(s.runs[0]?.reason ?? "", /the run due 2026-11-27T22:00:00.000Z was missed/);
    s.catalog.close();
  });

  it("skips a slot while the previous run still goes, and logs it", () => {
    const s = setup("2026-11-27T21:00:00Z", "busy");
    s.catalog.jobs.setLastSlot("job-1", "2026-11-26T22:00:00.000Z");
    s.scheduler.start();
    s.setRunning(true);
    s.timer.fire();
    assert.deepEqual(s.runs, []);
    assert.match(s.logs[0] ?? "", /skipped: the previous run is still going/);
    s.setRunning(false);
    s.timer.fire();
    assert.equal(s.runs.length, 1, "the next slot runs");
    s.catalog.close();
  });

  it("does not run a new job for a slot from before it was created", () => {
    const s = setup("2026-11-01T23:00:00Z", "new-job", "2026-11-01T22:30:00.000Z");
    s.scheduler.start();
    assert.deepEqual(s.runs, [], "created at 22:30: the 22:00 slot was never its own");
    s.catalog.close();
  });
});
