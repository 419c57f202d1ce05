/**
 * Makes a file durable while it is still being written: a large image synced only at the end
 * spends seconds in that last sync with nothing else to do.
 */
import type { promises as fs } from "node:fs";

/** How much is written between two background syncs. */
const SYNC_EVERY = 64 * 1024 * 1024;

/**
 * Syncs the target in the background every SYNC_EVERY bytes, so the disk writes while the
 * rest of the pipeline works, and the final sync (nothing is done before it) has little left to do.
 */
export class BackgroundFlusher {
  private pending: Promise<void> | undefined;
  private since = 0;
  private failure: unknown;

  constructor(private readonly handle: fs.FileHandle) {}

  wrote(bytes: number): void {
    this.since += bytes;
    if (this.since < SYNC_EVERY || this.pending) return;
    this.since = 0;
    this.pending = this.handle
      .datasync()
      .catch((err: unknown) => {
        this.failure ??= err;
      })
      .finally(() => {
        this.pending = undefined;
      });
  }

  async finish(): Promise<void> {
    await this.pending;
    if (this.failure !== undefined) throw this.failure;
    await this.handle.sync();
  }
}
