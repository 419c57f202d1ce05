/** Collects the app's events in tests and waits for what a UI would wait for: the end of a run. */
import type { ApiResult, AppEvent } from "../../preload/contract.js";
import type { CatalogRun } from "../../main/catalog/catalog-api.js";
import type { ProgressEvent } from "../../main/engines/progress.js";

export class EventLog {
  readonly events: { at: number; event: AppEvent }[] = [];

  readonly push = (event: AppEvent): void => {
    this.events.push({ at: Date.now(), event });
  };

  progressOf(runId: string): { at: number; progress: ProgressEvent }[] {
    return this.events.flatMap(({ at, event }) =>
      event.type === "progress" && event.runId === runId ? [{ at, progress: event.progress }] : [],
    );
  }

  runEvents(runId: string): CatalogRun[] {
    return this.events.flatMap(({ event }) =>
      event.type === "run" && event.run.id === runId ? [event.run] : [],
    );
  }

  /** The run as its final event reported it. */
  async ended(runId: string, timeoutMs = 120_000): Promise<CatalogRun> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const done = this.runEvents(runId).find((r) => r.status !== "running");
      if (done) return done;
      if (Date.now() > deadline) throw new Error(`run ${runId} did not end within ${timeoutMs} ms`);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }
}

/** The value of a successful ApiResult; a failure fails the test with the error's words. */
export function ok<T>(result: ApiResult<T>): T {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return result.value;
}

export function failure<T>(result: ApiResult<T>): Extract<ApiResult<T>, { ok: false }>["error"] {
  if (result.ok) throw new Error(`expected an error, got ${JSON.stringify(result.value)}`);
  return result.error;
}
