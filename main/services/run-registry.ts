/**
 * The jobs running in this process: each is recorded in the catalog's run history as it starts
 * and ends, its notes become log lines, its progress goes to the event stream (throttled), and it
 * can be cancelled through its AbortSignal. The engines do their CPU work in worker threads, so
 * the work here is only awaiting: the main thread stays free for the window.
 */
import type { AppEvent, RunPhase } from "../../preload/contract.js";
import type { Catalog, CatalogRun, JobKind, RunLogLine } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import type { ProgressEvent, ProgressListener } from "../engines/progress.js";
import { runErrorText } from "./app-errors.js";
import { ProgressThrottle } from "./progress-throttle.js";

/** About ten events a second per run: smooth for a progress bar, cheap for IPC. */
export const PROGRESS_INTERVAL_MS = 100;

export interface RunContext {
  signal: AbortSignal;
  progress: ProgressListener;
  /**
   * The run entered a phase: sent at once (never throttled away), and every later progress event
   * carries it, so the UI shows the real phase instead of guessing one from the counts.
   */
  phase: (phase: RunPhase) => void;
  note: (message: string, level?: RunLogLine["level"]) => void;
}

export interface RunOutcome {
  bytesRead?: number;
  bytesStored?: number;
  restorePointId?: string | null;
}

export interface RunRequest {
  jobId: string | null;
  kind: JobKind;
  title: string;
  repositoryId: string | null;
  /** False for work that cannot stop part-way (the engine takes no signal). */
  cancellable: boolean;
}

interface ActiveRun {
  jobId: string | null;
  controller: AbortController;
  cancellable: boolean;
  note: RunContext["note"];
  done: Promise<void>;
}

export class RunRegistry {
  readonly #active = new Map<string, ActiveRun>();

  constructor(
    private readonly catalog: Catalog,
    private readonly emit: (event: AppEvent) => void,
    private readonly log: (message: string) => void,
    private readonly intervalMs = PROGRESS_INTERVAL_MS,
  ) {}

  /** Records the run and starts `work` after the caller has its id; returns the run as started. */
  start(request: RunRequest, work: (context: RunContext) => Promise<RunOutcome>): CatalogRun {
    const run = this.catalog.runs.start({
      jobId: request.jobId,
      kind: request.kind,
      title: request.title,
      repositoryId: request.repositoryId,
    });
    this.emit({ type: "run", run });
    const controller = new AbortController();
    const note = (message: string, level: RunLogLine["level"] = "info"): void => {
      const line: RunLogLine = { runId: run.id, time: new Date().toISOString(), level, message };
      this.catalog.runs.log(line);
      this.emit({ type: "log", line });
    };
    const last: { progress?: ProgressEvent; phase?: RunPhase } = {};
    const send = (progress: ProgressEvent): void =>
      this.emit({ type: "progress", runId: run.id, progress, ...(last.phase ? { phase: last.phase } : {}) });
    const throttle = new ProgressThrottle(this.intervalMs, send);
    const progress = (event: ProgressEvent): void => {
      last.progress = event;
      throttle.push(event);
    };
    const phase = (next: RunPhase): void => {
      if (next === last.phase) return;
      last.phase = next;
      // The newest figures, under the new phase; they supersede whatever the throttle held back.
      throttle.sendNow(last.progress ?? startingProgress(request.kind));
    };
    const context: RunContext = { signal: controller.signal, progress, phase, note };
    const done = this.execute(run, context, throttle, async (c) => {
      const outcome = await work(c);
      // Restores and checks report their figures through progress only.
      return {
        bytesRead: outcome.bytesRead ?? last.progress?.bytesRead ?? 0,
        bytesStored: outcome.bytesStored ?? last.progress?.bytesStored ?? 0,
        restorePointId: outcome.restorePointId ?? null,
      };
    }).finally(() => this.#active.delete(run.id));
    this.#active.set(run.id, {
      jobId: request.jobId,
      controller,
      cancellable: request.cancellable,
      note,
      done,
    });
    return run;
  }

  private async execute(
    run: CatalogRun,
    context: RunContext,
    throttle: ProgressThrottle,
    work: (context: RunContext) => Promise<RunOutcome>,
  ): Promise<void> {
    // The caller answers with the run id before any of the work (or its first error) happens.
    await new Promise<void>((resolve) => setImmediate(resolve));
    let finished: CatalogRun;
    try {
      const outcome = await work(context);
      throttle.flush();
      finished = this.catalog.runs.finish(run.id, {
        status: "succeeded",
        bytesRead: outcome.bytesRead ?? 0,
        bytesStored: outcome.bytesStored ?? 0,
        restorePointId: outcome.restorePointId ?? null,
        error: null,
      });
    } catch (err) {
      throttle.flush();
      const cancelled = context.signal.aborted;
      const error = cancelled ? "cancelled by the user" : runErrorText(err);
      // Expected failures are in the run's history; only a bug needs its stack in the log.
      if (!cancelled && !(err instanceof SnapferryError)) {
        this.log(`run ${run.id} (${run.title}) failed: ${describe(err)}`);
      }
      try {
        context.note(error, cancelled ? "warn" : "error");
        finished = this.catalog.runs.finish(run.id, {
          status: cancelled ? "cancelled" : "failed",
          bytesRead: 0,
          bytesStored: 0,
          restorePointId: null,
          error,
        });
      } catch (recordErr) {
        // The catalog itself failed (its disk is full, say): the run stays "running" there and is
        // marked failed at the next start; the UI still hears how it ended.
        this.log(`run ${run.id}: cannot record its end: ${describe(recordErr)}`);
        finished = { ...run, status: cancelled ? "cancelled" : "failed", error };
      }
    }
    this.emit({ type: "run", run: finished });
  }

  /** True when the run was asked to stop; false when it is not running or cannot stop part-way. */
  cancel(runId: string): boolean {
    const active = this.#active.get(runId);
    if (!active) return false;
    if (!active.cancellable) {
      active.note("this job cannot stop part-way; it finishes on its own", "warn");
      return false;
    }
    if (!active.controller.signal.aborted) {
      active.note("cancel requested", "warn");
      active.controller.abort();
    }
    return true;
  }

  isRunning(runId: string): boolean {
    return this.#active.has(runId);
  }

  /** The run as recorded once it has ended (at once for a run that already has); undefined if unknown. */
  async ended(runId: string): Promise<CatalogRun | undefined> {
    await this.#active.get(runId)?.done;
    return this.catalog.runs.get(runId);
  }

  /** Tells the user something outside a run's log (the tray shows it as a notification). */
  notice(level: "info" | "warn", message: string): void {
    this.emit({ type: "notice", level, message });
  }

  /** Whether a run of this job is going (the scheduler skips a slot rather than run it twice). */
  isJobRunning(jobId: string): boolean {
    return [...this.#active.values()].some((r) => r.jobId === jobId);
  }

  get running(): number {
    return this.#active.size;
  }

  /** Resolves once every run started so far has ended. */
  async idle(): Promise<void> {
    while (this.#active.size > 0) await Promise.allSettled([...this.#active.values()].map((r) => r.done));
  }

  /** Cancels what can be cancelled and waits for everything to end (the app is quitting). */
  async shutdown(): Promise<void> {
    for (const [id, run] of this.#active) if (run.cancellable) this.cancel(id);
    await this.idle();
  }
}

function describe(err: unknown): string {
  return err instanceof Error ? (err.stack ?? err.message) : String(err);
}

/** The figures before the engine's first report: nothing done yet, the total not known. */
function startingProgress(kind: JobKind): ProgressEvent {
  return {
    operation: kind,
    bytesTotal: 0,
    bytesDone: 0,
    bytesRead: 0,
    bytesNew: 0,
    bytesStored: 0,
    bytesPerSecond: 0,
    etaSeconds: null,
    disk: null,
    final: false,
  };
}
