/**
 * Progress for the UI at a rate a window can draw and IPC can carry: at most one event per
 * interval per run, the latest one winning, and never a lost last word (the final event, and the
 * newest pending one when the run ends, always go out).
 */
import type { ProgressEvent } from "../engines/progress.js";

export class ProgressThrottle {
  private last = Number.NEGATIVE_INFINITY;
  private pending: ProgressEvent | undefined;
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly intervalMs: number,
    private readonly send: (event: ProgressEvent) => void,
    private readonly now: () => number = () => Date.now(),
  ) {}

  push(event: ProgressEvent): void {
    const due = this.last + this.intervalMs;
    if (event.final || this.now() >= due) {
      this.cancelTimer();
      this.pending = undefined;
      this.deliver(event);
      return;
    }
    this.pending = event;
    // A trailing send, so the newest figures show even when the engine goes quiet for a while.
    this.timer ??= setTimeout(() => this.flush(), Math.max(due - this.now(), 0));
  }

  /**
   * Sends EVENT at once, in place of anything pending (which it supersedes): a phase change, which
   * must never wait or be dropped. The next regular event still waits a whole interval after it.
   */
  sendNow(event: ProgressEvent): void {
    this.cancelTimer();
    this.pending = undefined;
    this.deliver(event);
  }

  /** Sends what is pending now (a run ending, say). */
  flush(): void {
    this.cancelTimer();
    const event = this.pending;
    this.pending = undefined;
    if (event) this.deliver(event);
  }

  private deliver(event: ProgressEvent): void {
    this.last = this.now();
    this.send(event);
  }

  private cancelTimer(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }
}
