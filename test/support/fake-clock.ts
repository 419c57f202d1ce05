/** A clock the test moves: `sleep` advances it at once, so retries and windows run without waiting. */
import type { Clock } from "../../main/jobs/clock.js";

export class FakeClock implements Clock {
  readonly sleeps: number[] = [];
  constructor(private current: Date) {}

  now(): Date {
    return new Date(this.current);
  }

  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }

  sleep(ms: number): Promise<void> {
    this.sleeps.push(ms);
    this.advance(ms);
    return Promise.resolve();
  }
}
