/**
 * The daily digest: reports of finished runs wait here until the digest time, then go out as one
 * message. The queue keeps no storage of its own: its state is plain data (`pending()`) that the
 * caller may persist and hand back to a new queue (`restore`), so a restart loses nothing.
 *
 * The items leave the queue only when sending them worked: a mail server that is down keeps them
 * for the next attempt instead of dropping a day's results.
 */
import type { Clock } from "../jobs/clock.js";
import { nextRun } from "../jobs/schedule.js";

export interface DigestQueueOptions {
  clock: Clock;
  /** "HH:MM", local to `timeZone`. */
  digestTime: string;
  /** IANA time zone of the digest time; the machine's own when absent. */
  timeZone?: string;
}

export interface QueuedItem<T> {
  /** When it was queued (ISO). */
  queuedAt: string;
  item: T;
}

export class DigestQueue<T> {
  #items: QueuedItem<T>[] = [];
  #flushing = false;

  constructor(
    private readonly options: DigestQueueOptions,
    restore: QueuedItem<T>[] = [],
  ) {
    // Checks the time now, so a bad digest time fails when the queue is made, not at send time.
    nextRun({ kind: "daily", time: options.digestTime }, options.clock.now(), options.timeZone);
    this.#items = [...restore];
  }

  add(item: T): void {
    this.#items.push({ queuedAt: this.options.clock.now().toISOString(), item });
  }

  /** What waits, oldest first, as plain data for the caller to persist. */
  pending(): QueuedItem<T>[] {
    return [...this.#items];
  }

  /** When the waiting items are due: the first digest time after the oldest was queued; null if none. */
  dueAt(): Date | null {
    const oldest = this.#items[0];
    if (!oldest) return null;
    const schedule = { kind: "daily", time: this.options.digestTime } as const;
    return nextRun(schedule, new Date(oldest.queuedAt), this.options.timeZone);
  }

  /** Milliseconds until `dueAt` (0 when already due); null when nothing waits. For a timer. */
  msUntilDue(): number | null {
    const due = this.dueAt();
    return due ? Math.max(0, due.getTime() - this.options.clock.now().getTime()) : null;
  }

  isDue(): boolean {
    return this.msUntilDue() === 0;
  }

  /**
   * When the digest time has passed, hands every waiting item to `send` as one batch and drops
   * them once it resolves. Before the time, or while another flush runs, does nothing. Resolves
   * to the number of items sent; a failing `send` rejects and keeps them all.
   */
  async flushIfDue(send: (items: T[]) => Promise<void>): Promise<number> {
    if (this.#flushing || !this.isDue()) return 0;
    this.#flushing = true;
    const batch = [...this.#items];
    try {
      await send(batch.map((q) => q.item));
      // Items added while sending wait for the next digest.
      this.#items = this.#items.filter((q) => !batch.includes(q));
      return batch.length;
    } finally {
      this.#flushing = false;
    }
  }
}
