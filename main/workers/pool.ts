/**
 * A fixed pool of chunk workers. Requests queue when every worker is busy; callers bound how many
 * they have in flight, which is what keeps memory bounded (see engines/pipeline.ts).
 */
import { availableParallelism } from "node:os";
import { Worker } from "node:worker_threads";
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import type { Compression } from "../repository/file-formats.js";
import type { MasterKeys } from "../repository/sealer.js";
import { canTransfer, isPageAlignedArrayBuffer } from "./aligned-buffer.js";
import type { WorkerRequest, WorkerResponse, WorkerResult, WorkerSetup } from "./protocol.js";

type Pending = { resolve: (r: WorkerResult) => void; reject: (e: Error) => void };
type Job = { req: WorkerRequest; transfer: ArrayBuffer[]; pending: Pending };

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(availableParallelism(), 8));
}

/** The buffer itself when its ArrayBuffer can be transferred, otherwise a copy that can. */
function ownBuffer(data: Uint8Array): Uint8Array {
  return canTransfer(data) ? data : new Uint8Array(data);
}

export class CodecPool {
  private readonly idle: Worker[] = [];
  private readonly busy = new Map<Worker, Job>();
  private readonly queue: Job[] = [];
  private seq = 0;
  private closed = false;
  private readonly workers: Worker[] = [];

  constructor(keys: MasterKeys | null, size = defaultWorkerCount()) {
    const setup: WorkerSetup = {
      encryptionKey: keys ? new Uint8Array(keys.encryptionKey) : null,
      chunkIdKey: keys ? new Uint8Array(keys.chunkIdKey) : null,
    };
    for (let i = 0; i < size; i++) {
      const worker = new Worker(new URL("./chunk-worker.js", import.meta.url), {
        workerData: setup,
        resourceLimits: { maxYoungGenerationSizeMb: Number(process.env.YG ?? 16) },
      });
      worker.on("message", (res: WorkerResponse) => this.onMessage(worker, res));
      worker.on("error", (err) => this.onFailure(err));
      worker.on("exit", (code) => this.onFailure(new Error(`it exited with code ${code}`)));
      this.workers.push(worker);
      this.idle.push(worker);
    }
  }

  async hash(data: Uint8Array): Promise<{ id: Buffer; data: Buffer }> {
    const own = ownBuffer(data);
    const r = await this.run({ seq: 0, op: "hash", data: own }, [own.buffer as ArrayBuffer]);
    if (r.op !== "hash") throw new Error("worker answered the wrong operation");
    return { id: Buffer.from(r.id.buffer, r.id.byteOffset, r.id.byteLength), data: toBuffer(r.data) };
  }

  /**
   * Compresses and seals a chunk. `data` is handed over to the worker and comes back as `data`;
   * `into`, a recycled buffer with room for the stored blob, comes back as `stored`.
   */
  async encode(
    data: Uint8Array,
    into?: Uint8Array,
  ): Promise<{ stored: Buffer; compression: Compression; data: Buffer }> {
    const own = ownBuffer(data);
    const target = recyclable(into);
    const r = await this.run({ seq: 0, op: "encode", data: own, into: target }, transferList(own, target));
    if (r.op !== "encode") throw new Error("worker answered the wrong operation");
    return { stored: toBuffer(r.stored), compression: r.compression, data: toBuffer(r.data) };
  }

  /** Both at once: for chunks that are most likely new, one round trip instead of two. */
  async hashEncode(
    data: Uint8Array,
    into?: Uint8Array,
  ): Promise<{ id: Buffer; stored: Buffer; compression: Compression; data: Buffer }> {
    const own = ownBuffer(data);
    const target = recyclable(into);
    const r = await this.run(
      { seq: 0, op: "hashEncode", data: own, into: target },
      transferList(own, target),
    );
    if (r.op !== "hashEncode") throw new Error("worker answered the wrong operation");
    return {
      id: toBuffer(r.id),
      stored: toBuffer(r.stored),
      compression: r.compression,
      data: toBuffer(r.data),
    };
  }

  /**
   * Opens, decompresses and verifies a stored blob. `stored` (and `into`, a recycled buffer for
   * the plaintext) are handed over to the worker; both come back, `stored` to be reused too.
   */
  async decode(
    stored: Uint8Array,
    compression: number,
    rawLength: number,
    expectedId: Uint8Array,
    what: string,
    into?: Uint8Array,
  ): Promise<{ plaintext: Buffer; stored: Buffer }> {
    const own = ownBuffer(stored);
    const target = recyclable(into);
    const r = await this.run(
      {
        seq: 0,
        op: "decode",
        stored: own,
        compression,
        rawLength,
        expectedId: new Uint8Array(expectedId),
        what,
        into: target,
      },
      transferList(own, target),
    );
    if (r.op !== "decode") throw new Error("worker answered the wrong operation");
    return { plaintext: toBuffer(r.plaintext), stored: toBuffer(r.stored) };
  }

  private run(req: WorkerRequest, transfer: ArrayBuffer[]): Promise<WorkerResult> {
    if (this.closed) return Promise.reject(new SnapferryError("internal", "the worker pool is closed"));
    req.seq = ++this.seq;
    return new Promise((resolve, reject) => {
      this.queue.push({ req, transfer, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.idle.length > 0 && this.queue.length > 0) {
      const worker = this.idle.pop();
      const job = this.queue.shift();
      if (!worker || !job) return;
      this.busy.set(worker, job);
      worker.postMessage(job.req, job.transfer);
    }
  }

  private onMessage(worker: Worker, res: WorkerResponse): void {
    const job = this.busy.get(worker);
    this.busy.delete(worker);
    this.idle.push(worker);
    if (job) {
      if (res.ok) job.pending.resolve(res.result);
      else job.pending.reject(rebuildError(res.error));
    }
    this.dispatch();
  }

  /**
   * A worker that throws outside a request, or exits, is gone for good (out of memory, a native
   * crash). Rather than run on with fewer workers, the pool fails every waiting request, so the
   * operation stops with a clear error instead of hanging.
   */
  private onFailure(err: Error): void {
    if (this.closed) return;
    this.closed = true;
    const error = new SnapferryError("internal", `a chunk worker failed: ${err.message}`, undefined, {
      cause: err,
    });
    for (const job of [...this.busy.values(), ...this.queue.splice(0)]) job.pending.reject(error);
    this.busy.clear();
    void this.close();
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const job of this.queue.splice(0))
      job.pending.reject(new SnapferryError("cancelled", "the operation was stopped"));
    await Promise.all(this.workers.map((w) => w.terminate()));
  }
}

/** A buffer the worker may write into and hand back: only the recycled page-aligned ones. */
function recyclable(into: Uint8Array | undefined): Uint8Array | null {
  return into && isPageAlignedArrayBuffer(into.buffer) ? into : null;
}

function transferList(...views: (Uint8Array | null)[]): ArrayBuffer[] {
  return [...new Set(views.flatMap((v) => (v ? [v.buffer as ArrayBuffer] : [])))];
}

function toBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function rebuildError(e: { message: string; code: string | undefined }): Error {
  if (e.code === "corrupt-data") return new CorruptDataError(e.message);
  return new SnapferryError("internal", e.message);
}
