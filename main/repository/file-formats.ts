/**
 * Every magic number and fixed size of the on-disk format, in one place.
 * docs/repository-format.md describes how they are used, byte for byte.
 */

/** The repository format this code writes. A repository with a higher number is refused. */
export const FORMAT_VERSION = 1;

/** Written in the config file so that a stray JSON file is never taken for a repository. */
export const CONFIG_FORMAT_NAME = "snapferry-repository";

/** Chunk sizes a repository may be created with. */
export const MIN_CHUNK_SIZE = 256 * 1024;
export const MAX_CHUNK_SIZE = 4 * 1024 * 1024;
export const DEFAULT_CHUNK_SIZE = 1024 * 1024;

/** A pack is closed once it holds this many bytes (it may exceed it by one blob). */
export const PACK_TARGET_SIZE = 32 * 1024 * 1024;

/** How many chunk ids one chunk-list blob (a "segment" of a disk) holds. */
export const SEGMENT_CHUNKS = 256;

export const ID_SIZE = 32;
/** The chunk id that stands for an all-zero chunk (a hole); no chunk is stored under it. */
export const HOLE_ID = Buffer.alloc(ID_SIZE);

/** Eight-byte magics that open (packs also close) each kind of file. */
export const MAGIC = {
  pack: Buffer.from("SFPACK01", "latin1"),
  index: Buffer.from("SFINDX01", "latin1"),
  manifest: Buffer.from("SFSNAP01", "latin1"),
  checkpoint: Buffer.from("SFCKPT01", "latin1"),
  unlock: Buffer.from("SFUNLK01", "latin1"),
} as const;
export const MAGIC_SIZE = 8;

/** What a blob holds. */
export const BlobType = { data: 1, list: 2 } as const;
export type BlobType = (typeof BlobType)[keyof typeof BlobType];

/** How a blob's plaintext was compressed before sealing. */
export const Compression = { none: 0, zstd: 1 } as const;
export type Compression = (typeof Compression)[keyof typeof Compression];

/** One entry of a pack's table: type u8, compression u8, reserved u16, offset, stored and raw length u32, id. */
export const PACK_ENTRY_SIZE = 1 + 1 + 2 + 4 + 4 + 4 + ID_SIZE;

/** AES-256-GCM framing of every sealed object: nonce, ciphertext, tag. */
export const NONCE_SIZE = 12;
export const TAG_SIZE = 16;
/** Unencrypted repositories seal with a truncated SHA-256 instead, so damage is still detected. */
export const CHECKSUM_SIZE = 16;

/** Level 1: measured on the benchmark image, level 3 costs 65% more CPU for 2% smaller data. */
export const ZSTD_LEVEL = 1;

/** Directory names inside a repository. */
export const DIRS = {
  data: "data",
  index: "index",
  snapshots: "snapshots",
  keys: "keys",
  locks: "locks",
  checkpoints: "checkpoints",
  tmp: "tmp",
} as const;
export const CONFIG_FILE = "config";
/** Append-only mode: the time-limited unlock (sealed) and the log of every change and use of it. */
export const APPEND_ONLY_UNLOCK_FILE = "append-only-unlock";
export const APPEND_ONLY_LOG_FILE = "append-only.log";
