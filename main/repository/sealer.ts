/**
 * Sealing is what every stored object goes through last: AES-256-GCM with a random nonce in an
 * encrypted repository, a truncated SHA-256 checksum in an unencrypted one. Either way, opening a
 * damaged object fails loudly instead of returning wrong bytes.
 *
 * Chunk ids are computed here too, because they depend on the same keys: HMAC-SHA-256 keyed with
 * the repository's chunk-id key when encrypted (ids then reveal nothing about content), plain
 * SHA-256 when not.
 */
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createHmac,
  randomFillSync,
  type Cipher,
  type Decipher,
} from "node:crypto";
import { CorruptDataError } from "../common/errors.js";
import { CHECKSUM_SIZE, NONCE_SIZE, TAG_SIZE } from "./file-formats.js";

/** The secrets unlocked from a key file. Never written anywhere but the wrapped key file. */
export interface MasterKeys {
  encryptionKey: Buffer;
  chunkIdKey: Buffer;
}

export class Sealer {
  constructor(private readonly keys: MasterKeys | null) {}

  get encrypted(): boolean {
    return this.keys !== null;
  }

  /** The bytes that `sealedSize(n)` adds to an n-byte plaintext. */
  get overhead(): number {
    return this.keys ? NONCE_SIZE + TAG_SIZE : CHECKSUM_SIZE;
  }

  chunkId(plaintext: Uint8Array): Buffer {
    if (this.keys) return createHmac("sha256", this.keys.chunkIdKey).update(plaintext).digest();
    return createHash("sha256").update(plaintext).digest();
  }

  /**
   * Seals `plaintext` into `into` when it has room (a recycled buffer, which the result is a view
   * of), or into a new buffer with an ArrayBuffer of its own so that a worker can hand it over.
   */
  seal(plaintext: Uint8Array, into?: Buffer): Buffer {
    const length = plaintext.length + this.overhead;
    const out = into && into.length >= length ? into.subarray(0, length) : Buffer.allocUnsafeSlow(length);
    if (!this.keys) {
      out.set(plaintext, 0);
      createHash("sha256").update(plaintext).digest().copy(out, plaintext.length, 0, CHECKSUM_SIZE);
      return out;
    }
    const nonce = randomFillSync(out, 0, NONCE_SIZE).subarray(0, NONCE_SIZE);
    const cipher = createCipheriv("aes-256-gcm", this.keys.encryptionKey, nonce);
    let at = runCipher(cipher, plaintext, out, NONCE_SIZE);
    at += cipher.final().copy(out, at);
    cipher.getAuthTag().copy(out, at);
    return out;
  }

  /**
   * Opens a sealed object; `what` names it in the error if it was damaged. With `into` (when it
   * has room), the plaintext is written there and the result is a view of it.
   */
  open(sealed: Uint8Array, what: string, into?: Buffer): Buffer {
    const bytes = Buffer.from(sealed.buffer, sealed.byteOffset, sealed.byteLength);
    if (bytes.length < this.overhead) throw new CorruptDataError(`${what} is truncated`);
    if (!this.keys) {
      const body = bytes.subarray(0, bytes.length - CHECKSUM_SIZE);
      const sum = createHash("sha256").update(body).digest().subarray(0, CHECKSUM_SIZE);
      if (!sum.equals(bytes.subarray(bytes.length - CHECKSUM_SIZE))) {
        throw new CorruptDataError(`${what} is damaged (checksum mismatch)`);
      }
      // Without `into`, the plaintext is a view of `sealed`: the caller must not reuse `sealed`
      // while it uses the result.
      if (!into || into.length < body.length) return body;
      body.copy(into);
      return into.subarray(0, body.length);
    }
    const nonce = bytes.subarray(0, NONCE_SIZE);
    const tag = bytes.subarray(bytes.length - TAG_SIZE);
    const body = bytes.subarray(NONCE_SIZE, bytes.length - TAG_SIZE);
    const decipher = createDecipheriv("aes-256-gcm", this.keys.encryptionKey, nonce);
    decipher.setAuthTag(tag);
    const out =
      into && into.length >= body.length
        ? into.subarray(0, body.length)
        : Buffer.allocUnsafeSlow(body.length);
    try {
      const at = runCipher(decipher, body, out, 0);
      // GCM adds nothing at the end; final() is what verifies the tag.
      if (decipher.final().length !== 0 || at !== body.length) throw new Error("unexpected cipher output");
      return out;
    } catch {
      throw new CorruptDataError(`${what} is damaged (authentication failed)`);
    }
  }
}

/**
 * Node's cipher gives each update's output in a new, zero-filled buffer. Fed a chunk at once,
 * that is a fresh half megabyte per chunk, which the kernel must fault in page by page (half the
 * page faults of a restore, measured); fed in slices this small, the buffers come from memory the
 * allocator reuses. The output is copied to `out` at `at`; returns where it ends.
 */
const CIPHER_SLICE = 64 * 1024;

function runCipher(cipher: Cipher | Decipher, input: Uint8Array, out: Buffer, at: number): number {
  for (let from = 0; from < input.length; from += CIPHER_SLICE) {
    at += cipher.update(input.subarray(from, from + CIPHER_SLICE)).copy(out, at);
  }
  return at;
}
