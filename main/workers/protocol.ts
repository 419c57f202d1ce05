/** Messages between the main thread and the chunk workers. Buffers travel by transfer, not copy. */
import type { Compression } from "../repository/file-formats.js";

export interface WorkerSetup {
  encryptionKey: Uint8Array | null;
  chunkIdKey: Uint8Array | null;
}

export type WorkerRequest =
  | { seq: number; op: "hash"; data: Uint8Array }
  /** `into`: a recycled buffer for the stored blob, which comes back as `stored`. */
  | { seq: number; op: "encode"; data: Uint8Array; into: Uint8Array | null }
  | { seq: number; op: "hashEncode"; data: Uint8Array; into: Uint8Array | null }
  | {
      seq: number;
      op: "decode";
      stored: Uint8Array;
      compression: number;
      rawLength: number;
      expectedId: Uint8Array;
      what: string;
      /** A recycled buffer for the plaintext; it comes back as `plaintext`. */
      into: Uint8Array | null;
    };

export type WorkerResult =
  | { op: "hash"; id: Uint8Array; data: Uint8Array }
  | { op: "encode"; stored: Uint8Array; compression: Compression; data: Uint8Array }
  | { op: "hashEncode"; id: Uint8Array; stored: Uint8Array; compression: Compression; data: Uint8Array }
  /** `stored` comes back too, so that its buffer can be reused. */
  | { op: "decode"; plaintext: Uint8Array; stored: Uint8Array };

export type WorkerResponse =
  | { seq: number; ok: true; result: WorkerResult }
  | { seq: number; ok: false; error: { message: string; code: string | undefined } };
