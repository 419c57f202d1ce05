/**
 * A repository on a local disk, a NAS share or a USB disk. This class opens it (config and key),
 * and reads and writes its files; the engines (backup, restore) and the maintenance commands
 * (check, prune) are built on it. docs/repository-format.md describes every file.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { CorruptDataError, SnapferryError, errnoCode } from "../common/errors.js";
import { TOOL_NAME } from "../common/version.js";
import { decodeBlob } from "./blob-codec.js";
import { ChunkIndex, type BlobLocation } from "./chunk-index.js";
import { decodeChunkList } from "./chunk-list.js";
import { checkpointName, validateCheckpoint, type Checkpoint } from "./checkpoint.js";
import { readConfig, validateChunkSize, type EncryptionMode, type RepositoryConfig } from "./config.js";
import { fsyncDirectory, listNames, removeDurably, temporaryOwner, writeFileDurably } from "./durable-fs.js";
import { CONFIG_FILE, CONFIG_FORMAT_NAME, DIRS, FORMAT_VERSION, MAGIC } from "./file-formats.js";
import { decodeIndexFile, encodeIndexFile, type IndexedPack } from "./index-file.js";
import { createKeyFile, generateMasterKeys, unlockRepository } from "./key-file.js";
import { RepositoryLock, processAlive, type LockKind } from "./lock.js";
import { packPath, readPackTable } from "./pack-file.js";
import { PackReader } from "./pack-reader.js";
import { validateRestorePoint, type RestorePoint } from "./restore-point.js";
import { decodeSealedJson, encodeSealedJson } from "./sealed-file.js";
import { assertMayRemove } from "./append-only.js";
import { Sealer, type MasterKeys } from "./sealer.js";
import { hostname } from "node:os";

export type PasswordProvider = () => Promise<string>;

export interface InitOptions {
  encryption: EncryptionMode;
  chunkSize: number;
  password?: PasswordProvider;
}

const LAYOUT_DIRS = Object.values(DIRS);

export class Repository {
  private constructor(
    readonly path: string,
    readonly config: RepositoryConfig,
    readonly keys: MasterKeys | null,
    readonly sealer: Sealer,
  ) {}

  static async init(repoPath: string, options: InitOptions): Promise<Repository> {
    validateChunkSize(options.chunkSize);
    await assertInitTarget(repoPath);
    let password: string | undefined;
    if (options.encryption === "aes256gcm") {
      if (!options.password) throw new SnapferryError("usage", "an encrypted repository needs a password");
      // Asked before anything is created, so that a missing password leaves no half-made folder.
      password = await options.password();
    }
    const config: RepositoryConfig = {
      format: CONFIG_FORMAT_NAME,
      version: FORMAT_VERSION,
      id: randomBytes(16).toString("hex"),
      chunkSize: options.chunkSize,
      encryption: options.encryption,
      compression: "zstd",
      createdAt: new Date().toISOString(),
      createdBy: TOOL_NAME,
    };
    let keys: MasterKeys | null = null;
    await fs.mkdir(repoPath, { recursive: true });
    for (const dir of LAYOUT_DIRS) await fs.mkdir(path.join(repoPath, dir), { recursive: true });
    const tmp = path.join(repoPath, DIRS.tmp);
    if (password !== undefined) {
      keys = generateMasterKeys();
      const keyFile = await createKeyFile(keys, password, config.id);
      await writeFileDurably(path.join(repoPath, DIRS.keys, randomBytes(16).toString("hex")), keyFile, tmp);
    }
    // The config goes last: a folder without it is not (yet) a repository.
    await writeFileDurably(
      path.join(repoPath, CONFIG_FILE),
      Buffer.from(JSON.stringify(config, null, 2) + "\n"),
      tmp,
    );
    return new Repository(repoPath, config, keys, new Sealer(keys));
  }

  static async open(repoPath: string, password?: PasswordProvider): Promise<Repository> {
    const config = await readConfig(repoPath);
    let keys: MasterKeys | null = null;
    if (config.encryption === "aes256gcm") {
      if (!password)
        throw new SnapferryError("usage", `repository ${repoPath} is encrypted and needs a password`);
      keys = await unlockRepository(path.join(repoPath, DIRS.keys), await password(), config.id, repoPath);
    }
    return new Repository(repoPath, config, keys, new Sealer(keys));
  }

  dir(name: keyof typeof DIRS): string {
    return path.join(this.path, DIRS[name]);
  }

  lock(kind: LockKind, operation: string): Promise<RepositoryLock> {
    return RepositoryLock.acquire(this.path, kind, operation);
  }

  async writeFile(dir: keyof typeof DIRS, name: string, bytes: Buffer): Promise<void> {
    await writeFileDurably(path.join(this.dir(dir), name), bytes, this.dir("tmp"));
  }

  // ---- index ------------------------------------------------------------------------------

  async listIndexFiles(): Promise<string[]> {
    return (await listNames(this.dir("index"))).filter((n) => /^[0-9a-f]{64}$/.test(n));
  }

  async readIndexFile(name: string): Promise<IndexedPack[]> {
    const bytes = await fs.readFile(path.join(this.dir("index"), name));
    return decodeIndexFile(this.sealer, bytes, `index file ${name}`);
  }

  /** Loads every index file into memory. A damaged index file is an error: run `check`. */
  async loadIndex(): Promise<ChunkIndex> {
    const index = new ChunkIndex();
    for (const name of await this.listIndexFiles()) {
      for (const pack of await this.readIndexFile(name)) index.addPack(pack.id, pack.size, pack.entries);
    }
    return index;
  }

  async writeIndexFile(packs: readonly IndexedPack[]): Promise<string | undefined> {
    if (packs.length === 0) return undefined;
    const { name, bytes } = encodeIndexFile(this.sealer, packs);
    await this.writeFile("index", name, bytes);
    return name;
  }

  /** Every pack file in data/, with its size. */
  async listPacks(): Promise<Map<string, number>> {
    const packs = new Map<string, number>();
    for (const sub of await listNames(this.dir("data"))) {
      if (!/^[0-9a-f]{2}$/.test(sub)) continue;
      for (const name of await listNames(path.join(this.dir("data"), sub))) {
        if (!/^[0-9a-f]{64}$/.test(name)) continue;
        const stat = await fs.stat(path.join(this.dir("data"), sub, name));
        packs.set(name, stat.size);
      }
    }
    return packs;
  }

  /**
   * Packs that no index file names: left by a backup killed before its next checkpoint, or by a
   * prune killed before its new index. Their tables are read and added to `index` (and returned,
   * so that the caller can write an index file for them). Unreadable ones are skipped.
   */
  async indexOrphanPacks(index: ChunkIndex): Promise<IndexedPack[]> {
    const found: IndexedPack[] = [];
    for (const [id] of await this.listPacks()) {
      if (index.hasPack(id)) continue;
      try {
        const table = await readPackTable(packPath(this.path, id), this.sealer);
        index.addPack(id, table.size, table.entries);
        found.push({ id, size: table.size, entries: table.entries });
      } catch (err) {
        if (!(err instanceof CorruptDataError)) throw err;
      }
    }
    return found;
  }

  // ---- blobs ------------------------------------------------------------------------------

  /** Reads one stored blob (opening its pack for this read alone; see PackReader for many). */
  async readStoredBlob(loc: BlobLocation): Promise<Buffer> {
    const reader = new PackReader(this.path, 1);
    try {
      return await reader.read(loc);
    } finally {
      await reader.close();
    }
  }

  /** Reads, opens and verifies one blob in this thread (used for small blobs: chunk lists). */
  async readBlob(index: ChunkIndex, id: Buffer, what: string): Promise<Buffer> {
    const loc = index.get(id);
    if (!loc)
      throw new CorruptDataError(
        `${what} (blob ${id.toString("hex").slice(0, 16)}…) is missing from the repository`,
      );
    let stored: Buffer;
    try {
      stored = await this.readStoredBlob(loc);
    } catch (err) {
      // "pack … is missing" alone would not say what was being read.
      if (err instanceof CorruptDataError) throw new CorruptDataError(`${what}: ${err.message}`);
      throw err;
    }
    return decodeBlob(this.sealer, stored, loc.compression, loc.rawLength, id, what);
  }

  async readChunkList(index: ChunkIndex, segmentId: string, what: string): Promise<Buffer[]> {
    const bytes = await this.readBlob(index, Buffer.from(segmentId, "hex"), what);
    return decodeChunkList(bytes, what);
  }

  // ---- restore points ---------------------------------------------------------------------

  async listRestorePointIds(): Promise<string[]> {
    return (await listNames(this.dir("snapshots"))).filter((n) => /^[0-9a-f]{32}$/.test(n));
  }

  async readRestorePoint(id: string): Promise<RestorePoint> {
    const what = `restore point ${id}`;
    const bytes = await fs.readFile(path.join(this.dir("snapshots"), id));
    const rp = validateRestorePoint(decodeSealedJson(MAGIC.manifest, this.sealer, bytes, what), what);
    if (rp.id !== id) throw new CorruptDataError(`${what} is damaged (its id says ${rp.id})`);
    return rp;
  }

  /** Every readable restore point, oldest first, and the ids of those that could not be read. */
  async listRestorePoints(): Promise<{ points: RestorePoint[]; damaged: { id: string; error: Error }[] }> {
    const points: RestorePoint[] = [];
    const damaged: { id: string; error: Error }[] = [];
    for (const id of await this.listRestorePointIds()) {
      try {
        points.push(await this.readRestorePoint(id));
      } catch (err) {
        if (err instanceof CorruptDataError) damaged.push({ id, error: err });
        else throw err;
      }
    }
    points.sort((a, b) => a.time.localeCompare(b.time) || a.id.localeCompare(b.id));
    return { points, damaged };
  }

  /** Finds a restore point by its id or a unique prefix of it (as restic does), or "latest". */
  async resolveRestorePoint(ref: string): Promise<RestorePoint> {
    if (ref === "latest") {
      const { points } = await this.listRestorePoints();
      const last = points.at(-1);
      if (!last) throw new SnapferryError("not-found", `repository ${this.path} has no restore points`);
      return last;
    }
    const matches = (await this.listRestorePointIds()).filter((id) => id.startsWith(ref.toLowerCase()));
    if (matches.length === 1 && matches[0]) return this.readRestorePoint(matches[0]);
    throw new SnapferryError(
      "not-found",
      matches.length === 0
        ? `no restore point ${ref} in repository ${this.path}`
        : `restore point id ${ref} is ambiguous (${matches.length} match)`,
      "List them with `snapferry snapshots --repo " + this.path + "`.",
    );
  }

  async writeRestorePoint(rp: RestorePoint): Promise<void> {
    await this.writeFile("snapshots", rp.id, encodeSealedJson(MAGIC.manifest, this.sealer, rp));
  }

  async deleteRestorePoint(id: string): Promise<void> {
    await assertMayRemove(this, "forget", `restore point ${id}`);
    await removeDurably(path.join(this.dir("snapshots"), id));
  }

  // ---- checkpoints ------------------------------------------------------------------------

  async readCheckpoint(sourceKey: string): Promise<Checkpoint | undefined> {
    const name = checkpointName(sourceKey);
    try {
      const bytes = await fs.readFile(path.join(this.dir("checkpoints"), name));
      return validateCheckpoint(
        decodeSealedJson(MAGIC.checkpoint, this.sealer, bytes, `checkpoint ${name}`),
        name,
      );
    } catch (err) {
      if (errnoCode(err) === "ENOENT") return undefined;
      throw err;
    }
  }

  async listCheckpoints(): Promise<Checkpoint[]> {
    const out: Checkpoint[] = [];
    for (const name of await listNames(this.dir("checkpoints"))) {
      const bytes = await fs.readFile(path.join(this.dir("checkpoints"), name));
      out.push(
        validateCheckpoint(
          decodeSealedJson(MAGIC.checkpoint, this.sealer, bytes, `checkpoint ${name}`),
          name,
        ),
      );
    }
    return out;
  }

  async writeCheckpoint(checkpoint: Checkpoint): Promise<void> {
    const name = checkpointName(checkpoint.sourceKey);
    await this.writeFile("checkpoints", name, encodeSealedJson(MAGIC.checkpoint, this.sealer, checkpoint));
  }

  async deleteCheckpoint(sourceKey: string): Promise<void> {
    await removeDurably(path.join(this.dir("checkpoints"), checkpointName(sourceKey)));
  }

  // ---- housekeeping -----------------------------------------------------------------------

  /**
   * Removes files left in tmp/ by processes of this host that are gone. With `everything` (under
   * an exclusive lock, when nobody else can be writing), removes all of them, except those of a
   * live process here: it may be writing its lock file, which it does before it holds any lock.
   */
  async cleanTemporaryFiles(everything: boolean): Promise<number> {
    const tmp = this.dir("tmp");
    let removed = 0;
    for (const name of await listNames(tmp)) {
      const owner = temporaryOwner(name.replace(/\.pack$/, ""));
      const local = owner !== undefined && owner.host === hostname().replace(/[^A-Za-z0-9.-]/g, "_");
      // Whether a live process holds a lock does not tell: one taking a lock holds none yet. A pid
      // reused by an unrelated process only leaves a file behind, until the next prune.
      if (local && processAlive(owner.pid)) continue;
      if (everything || local) {
        await fs.rm(path.join(tmp, name), { force: true });
        removed++;
      }
    }
    if (removed > 0) await fsyncDirectory(tmp);
    return removed;
  }
}

async function assertInitTarget(repoPath: string): Promise<void> {
  let names: string[];
  try {
    const stat = await fs.stat(repoPath);
    if (!stat.isDirectory()) {
      throw new SnapferryError("repository-exists", `${repoPath} is a file`, "Give a new or empty folder.");
    }
    names = await fs.readdir(repoPath);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return;
    throw err;
  }
  if (names.includes(CONFIG_FILE)) {
    throw new SnapferryError(
      "repository-exists",
      `${repoPath} already holds a repository`,
      "Use it as it is, or give another folder.",
    );
  }
  const foreign = names.filter((n) => !LAYOUT_DIRS.includes(n as (typeof LAYOUT_DIRS)[number]));
  if (foreign.length > 0) {
    throw new SnapferryError(
      "repository-exists",
      `${repoPath} is not empty (it holds ${foreign.slice(0, 3).join(", ")}${foreign.length > 3 ? ", …" : ""})`,
      "Give a new or empty folder for the repository.",
    );
  }
}
