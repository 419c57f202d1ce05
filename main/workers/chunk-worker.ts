/**
 * Entry point of a chunk worker thread: hashing, compression, encryption and their inverses,
 * so that the main thread only moves bytes. See pool.ts for the other side.
 */
import { parentPort, workerData } from "node:worker_threads";
import { SnapferryError } from "../common/errors.js";
import { decodeBlob, encodeBlob } from "../repository/blob-codec.js";
import { Sealer } from "../repository/sealer.js";
import type { WorkerRequest, WorkerResponse, WorkerResult, WorkerSetup } from "./protocol.js";

const setup = workerData as WorkerSetup;
const sealer = new Sealer(
  setup.encryptionKey && setup.chunkIdKey
    ? { encryptionKey: Buffer.from(setup.encryptionKey), chunkIdKey: Buffer.from(setup.chunkIdKey) }
    : null,
);

function asBuffer(u: Uint8Array): Buffer {
  return Buffer.from(u.buffer, u.byteOffset, u.byteLength);
}

function handle(req: WorkerRequest): { result: WorkerResult; transfer: ArrayBuffer[] } {
  switch (req.op) {
    case "hash": {
      const id = sealer.chunkId(req.data);
      return { result: { op: "hash", id, data: req.data }, transfer: [req.data.buffer as ArrayBuffer] };
    }
    case "encode": {
      const blob = encodeBlob(sealer, req.data);
      return { result: { op: "encode", stored: blob.stored, compression: blob.compression }, transfer: [] };
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
      return { result: { op: "decode", plaintext }, transfer: [] };
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
});
