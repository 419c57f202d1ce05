/**
 * Small repository files (index files, restore-point manifests, checkpoints) share one framing:
 * an eight-byte magic naming the kind of file, then the sealed payload.
 * JSON payloads are zstd-compressed before sealing.
 */
import { compress, decompress } from "zstd-napi";
import { CorruptDataError } from "../common/errors.js";
import { MAGIC_SIZE, ZSTD_LEVEL } from "./file-formats.js";
import type { Sealer } from "./sealer.js";

export function encodeSealedFile(magic: Buffer, sealer: Sealer, payload: Uint8Array): Buffer {
  return Buffer.concat([magic, sealer.seal(payload)]);
}

export function decodeSealedFile(magic: Buffer, sealer: Sealer, bytes: Buffer, what: string): Buffer {
  if (bytes.length < MAGIC_SIZE || !bytes.subarray(0, MAGIC_SIZE).equals(magic)) {
    throw new CorruptDataError(`${what} is not a ${magic.toString("latin1")} file (damaged or misplaced)`);
  }
  return sealer.open(bytes.subarray(MAGIC_SIZE), what);
}

export function encodeSealedJson(magic: Buffer, sealer: Sealer, value: unknown): Buffer {
  const json = Buffer.from(JSON.stringify(value), "utf8");
  return encodeSealedFile(magic, sealer, compress(json, { compressionLevel: ZSTD_LEVEL }));
}

export function decodeSealedJson(magic: Buffer, sealer: Sealer, bytes: Buffer, what: string): unknown {
  const payload = decodeSealedFile(magic, sealer, bytes, what);
  try {
    return JSON.parse(decompress(payload).toString("utf8"));
  } catch {
    throw new CorruptDataError(`${what} is damaged (its content is not valid JSON)`);
  }
}
