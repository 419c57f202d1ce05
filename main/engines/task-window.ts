/**
 * Runs async tasks with at most `limit` in flight. `run` waits for a free slot before it starts a
 * task, which is how the pipeline applies backpressure: the reader cannot get more than `limit`
 * chunks ahead of the workers and the pack writer.
 */
export class TaskWindow {
  private readonly running = new Set<Promise<void>>();
  private failure: unknown;
  private failed = false;

  constructor(private readonly limit: number) {}

  async run(task: () => Promise<void>): Promise<void> {
    while (this.running.size >= this.limit) await Promise.race(this.running);
    this.throwIfFailed();
    const p: Promise<void> = task()
      .catch((err: unknown) => {
        if (!this.failed) {
          this.failed = true;
          this.failure = err;
        }
      })
      .finally(() => this.running.delete(p));
    this.running.add(p);
  }

  /** Waits for every started task; throws the first failure. */
  async drain(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
    this.throwIfFailed();
  }

  /**
   * Waits for every started task without throwing: on cancel or failure, nothing may still be
   * reading the source or adding to the pack writer once the caller cleans up behind it.
   */
  async settle(): Promise<void> {
    while (this.running.size > 0) await Promise.race(this.running);
  }

  private throwIfFailed(): void {
    if (this.failed) throw this.failure;
  }
}
