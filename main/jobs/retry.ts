/**
 * Retries of transient failures, with exponential backoff. What counts as transient is what may
 * well go away by itself: the network, a host busy with another task on the VM, a timeout, a
 * repository locked by another machine. A wrong password or a damaged repository is not retried:
 * it would fail the same way, only later. Every retry of a backup resumes from its checkpoint
 * (the backup service's "if-interrupted"), so nothing is moved twice.
 */
import { SnapferryError, type ErrorCode } from "../common/errors.js";
import type { Clock } from "./clock.js";

const TRANSIENT: readonly ErrorCode[] = ["network", "vsphere-busy", "vsphere-timeout", "repository-locked"];

export function isTransient(err: unknown): boolean {
  return err instanceof SnapferryError && TRANSIENT.includes(err.code);
}

export interface RetryPolicy {
  /** Retries after the first attempt (0: none). */
  attempts: number;
  /** Wait before the first retry; each later one waits twice as long, up to an hour. */
  backoffSeconds: number;
}

export interface RetryOptions extends RetryPolicy {
  clock: Clock;
  signal?: AbortSignal;
  /** Told before each wait: which attempt failed, why, and how long until the next. */
  onRetry?: (attempt: number, error: SnapferryError, waitMs: number) => void;
}

export async function withRetries<T>(
  work: (attempt: number) => Promise<T>,
  options: RetryOptions,
): Promise<T> {
  for (let attempt = 1; ; attempt++) {
    try {
      return await work(attempt);
    } catch (err) {
      if (attempt > options.attempts || !isTransient(err) || !(err instanceof SnapferryError)) throw err;
      if (options.signal?.aborted) throw err;
      const waitMs = Math.min(3_600_000, options.backoffSeconds * 1000 * 2 ** (attempt - 1));
      options.onRetry?.(attempt, err, waitMs);
      await options.clock.sleep(waitMs, options.signal);
    }
  }
}
