/**
 * Entry point of a chunk worker thread: hashing, compression, encryption and their inverses,
 * so that the main thread only moves bytes. See pool.ts for the other side.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SnapferryError } from "../common/errors.js";
import { BlobEncoder, decodeBlob } from "../repository/blob-codec.js";
import { Sealer } from "../repository/sealer.js";
import { canTransfer } from "./aligned-buffer.js";
import { GarbageBudget } from "./garbage.js";
import type { WorkerRequest, WorkerResponse, WorkerResult, WorkerSetup } from "./protocol.js";

const setup = workerData as WorkerSetup;
const sealer = new Sealer(
  setup.encryptionKey && setup.chunkIdKey
    ? { encryptionKey: Buffer.from(setup.encryptionKey), chunkIdKey: Buffer.from(setup.chunkIdKey) }
    : null,
);

const encoder = new BlobEncoder(sealer);
const garbage = new GarbageBudget();

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

/** The distinct ArrayBuffers of `views` that can be handed back without a copy (see canTransfer). */
function transferable(...views: Uint8Array[]): ArrayBuffer[] {
  return [...new Set(views.filter(canTransfer).map((u) => u.buffer as ArrayBuffer))];
}

function intoBuffer(u: Uint8Array | null): Buffer | undefined {
  return u ? asBuffer(u) : undefined;
}

function handle(req: WorkerRequest): { result: WorkerResult; transfer: ArrayBuffer[] } {
  switch (req.op) {
    case "hash": {
      const id = sealer.chunkId(req.data);
      return { result: { op: "hash", id, data: req.data }, transfer: [req.data.buffer as ArrayBuffer] };
    }
    case "encode": {
      // The plaintext goes back too, so that the main thread can reuse its buffer for the next read.
      const blob = encoder.encode(req.data, intoBuffer(req.into));
      return {
        result: { op: "encode", stored: blob.stored, compression: blob.compression, data: req.data },
        transfer: transferable(blob.stored, req.data),
      };
    }
    case "hashEncode": {
      const id = sealer.chunkId(req.data);
      const blob = encoder.encode(req.data, intoBuffer(req.into));
      return {
        result: { op: "hashEncode", id, stored: blob.stored, compression: blob.compression, data: req.data },
        transfer: transferable(blob.stored, req.data),
      };
    }
    case "decode": {
      const plaintext = decodeBlob(
        sealer,
        asBuffer(req.stored),
        req.compression,
        req.rawLength,
        req.expectedId,
        req.what,
        req.into ? asBuffer(req.into) : undefined,
      );
      return {
        result: { op: "decode", plaintext, stored: req.stored },
        transfer: transferable(plaintext, req.stored),
      };
    }
  }
}

parentPort?.on("message", (req: WorkerRequest) => {
  let response: WorkerResponse;
  let transfer: ArrayBuffer[] = [];
  try {
    const out = handle(req);
    response = { seq: req.seq, ok: true, result: out.result };
    transfer = out.transfer;
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    response = {
      seq: req.seq,
      ok: false,
      error: { message, code: err instanceof SnapferryError ? err.code : undefined },
    };
  }
  parentPort?.postMessage(response, transfer);
  garbage.spend(req.op === "decode" ? req.rawLength : req.data.byteLength);
});
