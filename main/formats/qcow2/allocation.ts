/**
 * The allocation map of a layered image: runs a layer holds itself are data or zero, and runs it
 * leaves to its backing file take the backing file's extents, clipped to the run. Runs arrive in
 * increasing offset order, so the backing file's map is walked once, alongside.
 */
import type { DiskImageReader, Extent } from "../disk-image.js";

/** A run of one layer: what it holds, or "backing" where its backing file shows through. */
export interface LayerRun {
  offset: number;
  length: number;
  kind: "data" | "zero" | "backing";
}

/** Walks a backing file's extents forward, answering for increasing ranges. */
class BackingCursor {
  private readonly iterator: AsyncIterator<Extent>;
  private current: Extent | undefined;
  private finished = false;

  constructor(private readonly backing: DiskImageReader) {
    this.iterator = backing.allocation()[Symbol.asyncIterator]();
  }

  /** Extents covering [offset, offset + length); past the backing file's end reads as zeros. */
  async *extents(offset: number, length: number): AsyncGenerator<Extent> {
    const end = offset + length;
    let at = offset;
    while (at < end) {
      if (at >= this.backing.virtualSize) {
        yield { offset: at, length: end - at, kind: "zero" };
        return;
      }
      const limit = Math.min(end, this.backing.virtualSize);
      const extent = await this.covering(at);
      let stop = limit;
      // A gap or a missing tail in the backing file's map is not known to be zeros.
      let kind: Extent["kind"] = "data";
      if (extent && extent.offset <= at) {
        stop = Math.min(limit, extent.offset + extent.length);
        kind = extent.kind;
      } else if (extent) {
        stop = Math.min(limit, extent.offset);
      }
      yield { offset: at, length: stop - at, kind };
      at = stop;
    }
  }

  private async covering(offset: number): Promise<Extent | undefined> {
    while (!this.finished && (!this.current || this.current.offset + this.current.length <= offset)) {
      const next = await this.iterator.next();
      if (next.done === true) {
        this.finished = true;
        this.current = undefined;
      } else {
        this.current = next.value;
      }
    }
    return this.current;
  }

  async close(): Promise<void> {
    if (!this.finished) await this.iterator.return?.();
  }
}

/** Resolves "backing" runs through `backing` (zeros when there is none) and merges neighbours. */
export async function* resolveRuns(
  runs: AsyncIterable<LayerRun>,
  backing: DiskImageReader | undefined,
): AsyncGenerator<Extent> {
  const cursor = backing ? new BackingCursor(backing) : undefined;
  let pending: Extent | undefined;
  try {
    for await (const run of runs) {
      const resolved: AsyncIterable<Extent> | Extent[] =
        run.kind !== "backing"
          ? [{ offset: run.offset, length: run.length, kind: run.kind }]
          : cursor
            ? cursor.extents(run.offset, run.length)
            : [{ offset: run.offset, length: run.length, kind: "zero" }];
      for await (const extent of resolved) {
        if (extent.length === 0) continue;
        if (pending && pending.kind === extent.kind && pending.offset + pending.length === extent.offset) {
          pending.length += extent.length;
          continue;
        }
        if (pending) yield pending;
        pending = { ...extent };
      }
    }
    if (pending) yield pending;
  } finally {
    await cursor?.close();
  }
}
