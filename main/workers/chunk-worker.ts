/**
 * Entry point of a chunk worker thread: hashing, compression, encryption and their inverses,
 * so that the main thread only moves bytes. See pool.ts for the other side.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SnapferryError } from "../common/errors.js";
import { BlobEncoder, decodeBlob } from "../repository/blob-codec.js";
import { Sealer } from "../repository/sealer.js";
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

/** A buffer can be handed over only if it is the whole of its ArrayBuffer (not a slice of a pool). */
function transferable(u: Uint8Array): ArrayBuffer[] {
  return u.byteOffset === 0 && u.byteLength === u.buffer.byteLength ? [u.buffer as ArrayBuffer] : [];
}

function handle(req: WorkerRequest): { result: WorkerResult; transfer: ArrayBuffer[] } {
  switch (req.op) {
    case "hash": {
      const id = sealer.chunkId(req.data);
      return { result: { op: "hash", id, data: req.data }, transfer: [req.data.buffer as ArrayBuffer] };
    }
    case "encode": {
      // The plaintext goes back too, so that the main thread can reuse its buffer for the next read.
      const blob = encoder.encode(req.data);
      return {
        result: { op: "encode", stored: blob.stored, compression: blob.compression, data: req.data },
        transfer: [blob.stored.buffer as ArrayBuffer, req.data.buffer as ArrayBuffer],
      };
    }
    case "hashEncode": {
      const id = sealer.chunkId(req.data);
      const blob = encoder.encode(req.data);
      return {
        result: { op: "hashEncode", id, stored: blob.stored, compression: blob.compression, data: req.data },
        transfer: [blob.stored.buffer as ArrayBuffer, req.data.buffer as ArrayBuffer],
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
      );
      return { result: { op: "decode", plaintext }, transfer: transferable(plaintext) };
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
