/**
 * Pack files: many blobs in one file, so that a NAS share sees few slow file creates and a FAT32
 * USB disk few files per folder. Layout:
 *
 *   magic "SFPACK01" | blob … blob | sealed blob table | u32 LE sealed-table length | magic
 *
 * A pack is written under tmp/, fsynced, then renamed to data/<first two hex>/<random id>. So a
 * pack in data/ is always complete. Its name is random rather than a hash of its content: every
 * blob and the table are authenticated already, and hashing each pack on the main thread cost a
 * quarter of a CPU-second per GiB stored.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { CorruptDataError, explainIoError } from "../common/errors.js";
import { fsyncDirectory, temporaryName } from "./durable-fs.js";
import { MAGIC, MAGIC_SIZE, type BlobType } from "./file-formats.js";
import { decodeEntries, encodeEntries, type PackEntry } from "./pack-table.js";
import type { EncodedBlob } from "./blob-codec.js";
import type { Sealer } from "./sealer.js";

export interface FinishedPack {
  id: string;
  size: number;
  entries: PackEntry[];
}

export function packPath(repo: string, packId: string): string {
  return path.join(repo, "data", packId.slice(0, 2), packId);
}

export class PackWriter {
  private readonly entries: PackEntry[] = [];
  private size = 0;

  private constructor(
    private readonly handle: fs.FileHandle,
    private readonly tmpPath: string,
    private readonly repo: string,
    private readonly sealer: Sealer,
  ) {}

  static async create(repo: string, sealer: Sealer): Promise<PackWriter> {
    const tmpPath = path.join(repo, "tmp", temporaryName() + ".pack");
    const handle = await fs.open(tmpPath, "wx").catch((err: unknown) => {
      throw explainIoError(err, repo);
    });
    const writer = new PackWriter(handle, tmpPath, repo, sealer);
    await writer.append(MAGIC.pack);
    return writer;
  }

  get bytesWritten(): number {
    return this.size;
  }

  get blobCount(): number {
    return this.entries.length;
  }

  private async append(bytes: Buffer): Promise<void> {
    try {
      await this.handle.write(bytes, 0, bytes.length, this.size);
    } catch (err) {
      throw explainIoError(err, this.repo);
    }
    this.size += bytes.length;
  }

  async add(type: BlobType, id: Buffer, rawLength: number, blob: EncodedBlob): Promise<void> {
    const offset = this.size;
    await this.append(blob.stored);
    this.entries.push({
      type,
      compression: blob.compression,
      offset,
      storedLength: blob.stored.length,
      rawLength,
      id,
    });
  }

  /** Seals the table, makes the pack durable and moves it into data/. */
  async finish(): Promise<FinishedPack> {
    const table = this.sealer.seal(encodeEntries(this.entries));
    const footer = Buffer.alloc(4);
    footer.writeUInt32LE(table.length, 0);
    await this.append(table);
    await this.append(footer);
    await this.append(MAGIC.pack);
    try {
      await this.handle.sync();
      await this.handle.close();
      const id = randomBytes(32).toString("hex");
      const final = packPath(this.repo, id);
      await fs.mkdir(path.dirname(final), { recursive: true });
      await fs.rename(this.tmpPath, final);
      await fsyncDirectory(path.dirname(final));
      return { id, size: this.size, entries: this.entries };
    } catch (err) {
      await fs.rm(this.tmpPath, { force: true }).catch(() => undefined);
      throw explainIoError(err, this.repo);
    }
  }

  /** Throws the half-written pack away. */
  async abort(): Promise<void> {
    await this.handle.close().catch(() => undefined);
    await fs.rm(this.tmpPath, { force: true }).catch(() => undefined);
  }
}

/** Reads a pack's blob table from its end, checking the framing. */
export async function readPackTable(
  file: string,
  sealer: Sealer,
): Promise<{ size: number; entries: PackEntry[] }> {
  const handle = await fs.open(file, "r");
  try {
    const { size } = await handle.stat();
    const what = `pack ${path.basename(file)}`;
    if (size < MAGIC_SIZE * 2 + 4) throw new CorruptDataError(`${what} is truncated`);
    const tail = Buffer.alloc(4 + MAGIC_SIZE);
    await handle.read(tail, 0, tail.length, size - tail.length);
    if (!tail.subarray(4).equals(MAGIC.pack))
      throw new CorruptDataError(`${what} has no end marker (truncated?)`);
    const tableLength = tail.readUInt32LE(0);
    const tableStart = size - tail.length - tableLength;
    if (tableStart < MAGIC_SIZE) throw new CorruptDataError(`${what} has an impossible table length`);
    const sealed = Buffer.alloc(tableLength);
    await handle.read(sealed, 0, tableLength, tableStart);
    const { entries } = decodeEntries(sealer.open(sealed, `${what} blob table`), 0, what);
    for (const e of entries) {
      if (e.offset < MAGIC_SIZE || e.offset + e.storedLength > tableStart) {
        throw new CorruptDataError(`${what} names a blob outside the pack`);
      }
    }
    return { size, entries };
  } finally {
    await handle.close();
  }
}
