/**
 * The config file: plain JSON, readable without the password, so that a repository (a USB disk
 * on a new machine, say) can be identified by its id before it is unlocked.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { SnapferryError, errnoCode } from "../common/errors.js";
import {
  CONFIG_FILE,
  CONFIG_FORMAT_NAME,
  FORMAT_VERSION,
  MAX_CHUNK_SIZE,
  MIN_CHUNK_SIZE,
} from "./file-formats.js";

export type EncryptionMode = "aes256gcm" | "none";

export interface RepositoryConfig {
  format: typeof CONFIG_FORMAT_NAME;
  version: number;
  id: string;
  chunkSize: number;
  encryption: EncryptionMode;
  compression: "zstd";
  createdAt: string;
  createdBy: string;
  /**
   * Append-only mode (ransomware protection, as borg's): restore points can be added, but forget
   * and prune are refused until unlocked with the password (append-only.ts). Absent means off.
   */
  appendOnly?: boolean;
}

export function validateChunkSize(chunkSize: number): void {
  const powerOfTwo = Number.isInteger(chunkSize) && chunkSize > 0 && (chunkSize & (chunkSize - 1)) === 0;
  if (!powerOfTwo || chunkSize < MIN_CHUNK_SIZE || chunkSize > MAX_CHUNK_SIZE) {
    throw new SnapferryError(
      "usage",
      `chunk size ${chunkSize} is not allowed`,
      "Choose a power of two from 256K to 4M (for example --chunk-size 1M).",
    );
  }
}

function formatError(repo: string, detail: string): SnapferryError {
  return new SnapferryError(
    "repository-format",
    `${repo} does not hold a valid Snapferry repository config: ${detail}`,
    "Check the path. If this is a repository, its config file is damaged; restore it from a copy of the repository.",
  );
}

export async function readConfig(repo: string): Promise<RepositoryConfig> {
  let text: string;
  try {
    const stat = await fs.stat(repo);
    if (!stat.isDirectory()) {
      throw new SnapferryError(
        "repository-not-found",
        `${repo} is a file, not a repository folder`,
        "Give the folder that `snapferry init` created.",
      );
    }
    text = await fs.readFile(path.join(repo, CONFIG_FILE), "utf8");
  } catch (err) {
    if (errnoCode(err) === "ENOENT") {
      throw new SnapferryError(
        "repository-not-found",
        `no repository at ${repo}`,
        "Check the path, or create one with `snapferry init --repo " + repo + "`.",
      );
    }
    throw err;
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    throw formatError(repo, "not JSON");
  }
  return validateConfig(repo, parsed);
}

function validateConfig(repo: string, value: unknown): RepositoryConfig {
  if (typeof value !== "object" || value === null) throw formatError(repo, "not an object");
  const c = value as Record<string, unknown>;
  if (c.format !== CONFIG_FORMAT_NAME) throw formatError(repo, "wrong format name");
  if (typeof c.version !== "number") throw formatError(repo, "no version");
  if (c.version > FORMAT_VERSION) {
    throw new SnapferryError(
      "repository-format",
      `repository ${repo} has format version ${c.version}, but this Snapferry reads format version ${FORMAT_VERSION} at most`,
      "Update Snapferry to a release that reads this repository.",
    );
  }
  if (typeof c.id !== "string" || !/^[0-9a-f]{32}$/.test(c.id)) throw formatError(repo, "bad id");
  if (typeof c.chunkSize !== "number") throw formatError(repo, "no chunk size");
  validateChunkSize(c.chunkSize);
  if (c.encryption !== "aes256gcm" && c.encryption !== "none") throw formatError(repo, "unknown cipher");
  if (c.compression !== "zstd") throw formatError(repo, "unknown compression");
  if (c.appendOnly !== undefined && typeof c.appendOnly !== "boolean")
    throw formatError(repo, "bad append-only flag");
  return {
    format: CONFIG_FORMAT_NAME,
    version: c.version,
    id: c.id,
    chunkSize: c.chunkSize,
    encryption: c.encryption,
    compression: "zstd",
    createdAt: String(c.createdAt ?? ""),
    createdBy: String(c.createdBy ?? ""),
    ...(c.appendOnly === true ? { appendOnly: true } : {}),
  };
}
