/**
 * Runs jobs on their schedules while Snapferry runs (the tray keeps it running). At start, a job
 * whose slot passed while the machine was off runs once, and its run says which slot it makes up;
 * after that a single timer wakes the scheduler at the nearest next slot. A slot that comes while
 * the job's previous run is still going is skipped, and logged, never queued behind it.
 *
 * Which slot a job last ran for is kept in the catalog, so "missed while off" survives restarts.
 * Time comes from a Clock and wake-ups from a Timer, both injected: the tests drive them by hand.
 */
import type { Clock } from "./clock.js";
import { missedRun, nextRun, type Schedule } from "./schedule.js";

export interface SchedulableJob {
  id: string;
  name: string;
  schedule: Schedule;
  timeZone?: string;
  createdAt: string;
}

export interface Timer {
  /** Calls `fn` after `ms`; returns a function that cancels it. */
  set(ms: number, fn: () => void): () => void;
}

export interface SchedulerDeps {
  clock: Clock;
  timer: Timer;
  /** The jobs with a schedule, read afresh at each wake-up (jobs may have been edited). */
  jobs(): SchedulableJob[];
  lastSlot(jobId: string): string | null;
  setLastSlot(jobId: string, slot: string): void;
  isRunning(jobId: string): boolean;
  /** Starts a run; `reason` goes to its history. */
  run(job: SchedulableJob, reason: string): void;
  log(message: string): void;
}

/** A run starting this long after its slot is reported as a missed run made up. */
const LATE_MS = 5 * 60_000;

/** setTimeout cannot wait longer than this; a farther slot is reached in several wake-ups. */
const MAX_WAIT_MS = 2 ** 31 - 1;

export const systemTimer: Timer = {
  set(ms, fn) {
    const handle = setTimeout(fn, Math.min(Math.max(0, ms), MAX_WAIT_MS));
    // A pending schedule must not keep a CLI or a test process alive.
    handle.unref();
    return () => clearTimeout(handle);
  },
};

export class Scheduler {
  private cancelTimer: (() => void) | undefined;
  private stopped = true;

  constructor(private readonly deps: SchedulerDeps) {}

  /** Runs what was missed while off (once per job), then waits for the next slot. */
  start(): void {
    this.stopped = false;
    this.tick();
  }

  stop(): void {
    this.stopped = true;
    this.cancelTimer?.();
    this.cancelTimer = undefined;
  }

  /** Jobs were added, edited or removed: recompute the next wake-up. */
  reload(): void {
    if (!this.stopped) this.arm();
  }

  /** The next slot of each job, for the UI and `snapferry job list`. */
  nextRuns(): { jobId: string; at: Date }[] {
    const now = this.deps.clock.now();
    return this.deps.jobs().flatMap((job) => {
      const at = this.safely(job, () => nextRun(job.schedule, now, job.timeZone));
      return at ? [{ jobId: job.id, at }] : [];
    });
  }

  /**
   * The wake-up: a job whose slot has come since the one it last ran for runs once, for the
   * newest such slot. The same rule finds runs missed while the app was closed or the machine
   * slept (a timer that fires late), so none is lost and none runs twice.
   */
  tick(): void {
    if (this.stopped) return;
    const now = this.deps.clock.now();
    for (const job of this.deps.jobs()) {
      const last = this.deps.lastSlot(job.id);
      const slot = this.safely(job, () =>
        missedRun(job.schedule, last ? new Date(last) : null, new Date(job.createdAt), now, job.timeZone),
      );
      if (!slot) continue;
      const late = now.getTime() - slot.getTime() > LATE_MS;
      this.fire(
        job,
        slot,
        late
          ? `the run due ${slot.toISOString()} was missed (Snapferry was not running or the machine slept); it runs now, once`
          : `scheduled for ${slot.toISOString()}`,
      );
    }
    this.arm();
  }

  private fire(job: SchedulableJob, slot: Date, reason: string): void {
    this.deps.setLastSlot(job.id, slot.toISOString());
    if (this.deps.isRunning(job.id)) {
      this.deps.log(
        `job "${job.name}": the run due ${slot.toISOString()} is skipped: the previous run is still going`,
      );
      return;
    }
    this.deps.run(job, reason);
  }

  private arm(): void {
    this.cancelTimer?.();
    this.cancelTimer = undefined;
    const next = this.nextRuns().reduce<Date | null>(
      (soonest, n) => (!soonest || n.at < soonest ? n.at : soonest),
      null,
    );
    if (!next) return;
    const wait = next.getTime() - this.deps.clock.now().getTime();
    this.cancelTimer = this.deps.timer.set(Math.min(Math.max(0, wait), MAX_WAIT_MS), () => this.tick());
  }

  /** A job whose schedule cannot be computed is logged and left out, never stops the others. */
  private safely<T>(job: SchedulableJob, compute: () => T): T | null {
    try {
      return compute();
    } catch (err) {
      this.deps.log(
        `job "${job.name}": its schedule cannot be computed: ${err instanceof Error ? err.message : String(err)}`,
      );
      return null;
    }
  }
}
