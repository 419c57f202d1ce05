/**
 * Time as the scheduler and the retry loop see it. Production uses the system clock; tests inject
 * a fake one and move it by hand, so nothing in them sleeps.
 */
import { SnapferryError } from "../common/errors.js";

export interface Clock {
  now(): Date;
  /** Resolves after `ms`, or rejects with a "cancelled" error when `signal` aborts first. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

export const systemClock: Clock = {
  now: () => new Date(),
  sleep: (ms, signal) =>
    new Promise((resolve, reject) => {
      if (signal?.aborted) {
        reject(new SnapferryError("cancelled", "cancelled while waiting"));
        return;
      }
      const timer = setTimeout(() => {
        signal?.removeEventListener("abort", onAbort);
        resolve();
      }, ms);
      const onAbort = (): void => {
        clearTimeout(timer);
        reject(new SnapferryError("cancelled", "cancelled while waiting"));
      };
      signal?.addEventListener("abort", onAbort, { once: true });
    }),
};
