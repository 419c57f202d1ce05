/**
 * Chunk buffers live outside V8's heap. V8 collects them only when it collects the small objects
 * that point to them, and it does that rarely here: the JS heap barely grows while gigabytes of
 * chunk data pass through. Up to 64 MiB of dead buffers per thread then pile up before V8's
 * external-memory limit forces a collection. With three threads that alone would break the
 * 200 MiB bound, so every thread that allocates buffers per chunk asks for a collection every
 * 16 MiB: the workers (Node's cipher output), and random access reads, which keep their chunks.
 * Backups and restores recycle their chunk buffers instead (buffer-pool.ts) and need none on the
 * main thread.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

type Collect = () => void;

let collect: Collect | undefined;

function collector(): Collect {
  if (!collect) {
    setFlagsFromString("--expose-gc");
    collect = runInNewContext("gc") as Collect;
  }
  return collect;
}

export class GarbageBudget {
  private sinceLast = 0;
  constructor(private readonly bytesBetweenCollections = 16 * 1024 * 1024) {}

  /** Counts `bytes` of chunk data handled; collects garbage when the budget is spent. */
  spend(bytes: number): void {
    this.sinceLast += bytes;
    if (this.sinceLast >= this.bytesBetweenCollections) {
      this.sinceLast = 0;
      // A full collection: a minor one leaves transferred buffers alive (measured: 240 MiB peak).
      collector()();
    }
  }
}
