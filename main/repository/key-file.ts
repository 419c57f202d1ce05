/**
 * Key files hold the repository's master keys wrapped (AES-256-GCM) by a key derived from the
 * password with scrypt. The scrypt parameters are stored in the file, so they can be raised later
 * without breaking old repositories. The repository id is the wrap's associated data: a key file
 * copied from another repository does not open this one.
 */
import { createCipheriv, createDecipheriv, randomBytes, scrypt as scryptCallback } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { promisify } from "node:util";
import { SnapferryError, WrongPasswordError } from "../common/errors.js";
import { NONCE_SIZE, TAG_SIZE } from "./file-formats.js";
import type { MasterKeys } from "./sealer.js";

const scrypt = promisify(scryptCallback) as (
  password: string,
  salt: Buffer,
  keylen: number,
  options: { N: number; r: number; p: number; maxmem: number },
) => Promise<Buffer>;

export interface ScryptParams {
  N: number;
  r: number;
  p: number;
}

/** 2^16 × 8 × 128 bytes = 64 MiB of memory and about a quarter second here: costly to guess. */
export const DEFAULT_SCRYPT: ScryptParams = { N: 65536, r: 8, p: 1 };

interface KeyFileJson {
  version: 1;
  kdf: { name: "scrypt"; N: number; r: number; p: number; salt: string };
  cipher: "aes-256-gcm";
  wrappedKeys: string;
  createdAt: string;
}

async function deriveWrappingKey(password: string, salt: Buffer, params: ScryptParams): Promise<Buffer> {
  const maxmem = 128 * params.N * params.r * 2 + 1024 * 1024;
  return scrypt(password.normalize("NFC"), salt, 32, { ...params, maxmem });
}

export function generateMasterKeys(): MasterKeys {
  return { encryptionKey: randomBytes(32), chunkIdKey: randomBytes(32) };
}

export async function createKeyFile(
  keys: MasterKeys,
  password: string,
  repoId: string,
  params: ScryptParams = DEFAULT_SCRYPT,
): Promise<Buffer> {
  const salt = randomBytes(32);
  const wrappingKey = await deriveWrappingKey(password, salt, params);
  const nonce = randomBytes(NONCE_SIZE);
  const cipher = createCipheriv("aes-256-gcm", wrappingKey, nonce);
  cipher.setAAD(Buffer.from(repoId, "utf8"));
  const body = Buffer.concat([
    cipher.update(Buffer.concat([keys.encryptionKey, keys.chunkIdKey])),
    cipher.final(),
  ]);
  const json: KeyFileJson = {
    version: 1,
    kdf: { name: "scrypt", ...params, salt: salt.toString("base64") },
    cipher: "aes-256-gcm",
    wrappedKeys: Buffer.concat([nonce, body, cipher.getAuthTag()]).toString("base64"),
    createdAt: new Date().toISOString(),
  };
  return Buffer.from(JSON.stringify(json, null, 2) + "\n", "utf8");
}

function damaged(file: string, detail: string): SnapferryError {
  return new SnapferryError(
    "repository-format",
    `key file ${file} is damaged: ${detail}`,
    "Without a readable key file the repository cannot be opened. Restore the keys/ folder from a copy of the repository.",
  );
}

function parseKeyFile(file: string, text: string): KeyFileJson {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw damaged(file, "it is not complete JSON (truncated?)");
  }
  const k = value as Partial<KeyFileJson> | null;
  const kdf = k?.kdf;
  if (
    !k ||
    k.version !== 1 ||
    !kdf ||
    kdf.name !== "scrypt" ||
    ![kdf.N, kdf.r, kdf.p].every((n) => Number.isInteger(n) && n > 0) ||
    typeof kdf.salt !== "string" ||
    typeof k.wrappedKeys !== "string"
  ) {
    throw damaged(file, "fields are missing or invalid");
  }
  if (kdf.N > 1 << 22 || kdf.r > 64 || kdf.p > 16) throw damaged(file, "scrypt parameters are out of range");
  return k as KeyFileJson;
}

/** Unwraps the master keys; a wrong password raises WrongPasswordError. */
export async function openKeyFile(
  file: string,
  password: string,
  repoId: string,
  repoLabel: string,
): Promise<MasterKeys> {
  const json = parseKeyFile(file, await fs.readFile(file, "utf8"));
  const wrapped = Buffer.from(json.wrappedKeys, "base64");
  if (wrapped.length !== NONCE_SIZE + 64 + TAG_SIZE)
    throw damaged(file, "the wrapped keys have the wrong length");
  const { N, r, p } = json.kdf;
  const wrappingKey = await deriveWrappingKey(password, Buffer.from(json.kdf.salt, "base64"), { N, r, p });
  const decipher = createDecipheriv("aes-256-gcm", wrappingKey, wrapped.subarray(0, NONCE_SIZE));
  decipher.setAAD(Buffer.from(repoId, "utf8"));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_SIZE));
  let plain: Buffer;
  try {
    plain = Buffer.concat([
      decipher.update(wrapped.subarray(NONCE_SIZE, wrapped.length - TAG_SIZE)),
      decipher.final(),
    ]);
  } catch {
    throw new WrongPasswordError(repoLabel);
  }
  return { encryptionKey: plain.subarray(0, 32), chunkIdKey: plain.subarray(32, 64) };
}

/** Tries every key file in keys/ (a repository may have several passwords) until one opens. */
export async function unlockRepository(
  keysDir: string,
  password: string,
  repoId: string,
  repoLabel: string,
): Promise<MasterKeys> {
  const names = (await fs.readdir(keysDir).catch(() => [] as string[])).filter((n) => !n.startsWith("."));
  if (names.length === 0) {
    throw new SnapferryError(
      "repository-format",
      `repository ${repoLabel} has no key file in ${keysDir}`,
      "Restore the keys/ folder from a copy of the repository.",
    );
  }
  let damagedError: unknown;
  let wrongPassword = false;
  for (const name of names.sort()) {
    try {
      return await openKeyFile(path.join(keysDir, name), password, repoId, repoLabel);
    } catch (err) {
      if (err instanceof WrongPasswordError) wrongPassword = true;
      else damagedError ??= err;
    }
  }
  // A damaged key file only matters when no other key file could have matched the password.
  throw wrongPassword ? new WrongPasswordError(repoLabel) : damagedError;
}
