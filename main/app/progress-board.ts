/**
 * What the taskbar (or dock) progress bar and the OS notifications show, from the app's events:
 * one bar for all running jobs together (bytes done over bytes to do), and a notification when a
 * job succeeds or fails (not when the user cancelled it: they know). Plain data: tested under Node.
 */
import type { AppEvent } from "../../preload/contract.js";
import type { CatalogRun } from "../catalog/catalog-api.js";

/** Electron's setProgressBar values: below 0 removes the bar, above 1 shows it indeterminate. */
export const NO_BAR = -1;
export const INDETERMINATE_BAR = 2;

export interface RunNotice {
  title: string;
  body: string;
  failed: boolean;
}

export interface BoardUpdate {
  bar: number;
  notice?: RunNotice;
}

const KIND_NAMES: Record<CatalogRun["kind"], string> = {
  backup: "Backup",
  restore: "Restore",
  check: "Check",
  prune: "Prune",
};

export class ProgressBoard {
  readonly #runs = new Map<string, { done: number; total: number }>();

  /** The new state after EVENT; undefined when it changes nothing shown. */
  apply(event: AppEvent): BoardUpdate | undefined {
    if (event.type === "log") return undefined;
    if (event.type === "notice") {
      return {
        bar: this.bar(),
        notice: { title: "Snapferry", body: event.message, failed: event.level === "warn" },
      };
    }
    if (event.type === "progress") {
      const run = this.#runs.get(event.runId);
      if (!run) return undefined;
      run.done = event.progress.bytesDone;
      run.total = event.progress.bytesTotal;
      return { bar: this.bar() };
    }
    const { run } = event;
    if (run.status === "running") {
      this.#runs.set(run.id, { done: 0, total: 0 });
      return { bar: this.bar() };
    }
    if (!this.#runs.delete(run.id)) return undefined;
    return run.status === "cancelled" ? { bar: this.bar() } : { bar: this.bar(), notice: noticeOf(run) };
  }

  get running(): number {
    return this.#runs.size;
  }

  private bar(): number {
    if (this.#runs.size === 0) return NO_BAR;
    let done = 0;
    let total = 0;
    for (const run of this.#runs.values()) {
      done += run.done;
      total += run.total;
    }
    return total > 0 ? Math.min(done / total, 1) : INDETERMINATE_BAR;
  }
}

export function noticeOf(run: CatalogRun): RunNotice {
  const kind = KIND_NAMES[run.kind];
  const failed = run.status === "failed";
  return {
    title: failed ? `${kind} failed` : `${kind} finished`,
    body: failed && run.error ? `${run.title}: ${run.error}` : run.title,
    failed,
  };
}
