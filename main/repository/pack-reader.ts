/**
 * Reads stored blobs out of pack files, keeping a few packs open: a restore reads blob after blob
 * from the same pack, and opening the file for each would cost three system calls a chunk.
 */
import { promises as fs } from "node:fs";
import { CorruptDataError, errnoCode } from "../common/errors.js";
import type { BlobLocation } from "./chunk-index.js";
import { packPath } from "./pack-file.js";

interface OpenPack {
  handle: Promise<fs.FileHandle>;
  readers: number;
}

export class PackReader {
  /** Insertion order is recency order: the first entry is the least recently used. */
  private readonly open = new Map<string, OpenPack>();

  constructor(
    private readonly repo: string,
    private readonly maxOpen = 8,
  ) {}

  /**
   * Reads a blob as stored into `into` (a recycled buffer of exactly its stored length) or, by
   * default, into a buffer with an ArrayBuffer of its own, so that it can go to a worker uncopied.
   */
  async read(loc: BlobLocation, into?: Buffer): Promise<Buffer> {
    const pack = this.acquire(loc.packId);
    try {
      const handle = await pack.handle;
      const buf = into?.length === loc.storedLength ? into : Buffer.allocUnsafeSlow(loc.storedLength);
      const { bytesRead } = await handle.read(buf, 0, loc.storedLength, loc.offset);
      if (bytesRead !== loc.storedLength) throw new CorruptDataError(`pack ${loc.packId} is truncated`);
      return buf;
    } finally {
      pack.readers--;
      await this.evict();
    }
  }

  async close(): Promise<void> {
    const packs = [...this.open.values()];
    this.open.clear();
    await Promise.all(packs.map((p) => p.handle.then((h) => h.close()).catch(() => undefined)));
  }

  private acquire(packId: string): OpenPack {
    let pack = this.open.get(packId);
    if (pack) {
      this.open.delete(packId);
    } else {
      const handle = fs.open(packPath(this.repo, packId), "r").catch((err: unknown) => {
        this.open.delete(packId);
        if (errnoCode(err) === "ENOENT") throw new CorruptDataError(`pack ${packId} is missing`);
        throw err;
      });
      pack = { handle, readers: 0 };
    }
    this.open.set(packId, pack);
    pack.readers++;
    return pack;
  }

  /** Closes the least recently used packs that nobody is reading, down to `maxOpen`. */
  private async evict(): Promise<void> {
    for (const [id, pack] of this.open) {
      if (this.open.size <= this.maxOpen) return;
      if (pack.readers > 0) continue;
      this.open.delete(id);
      await pack.handle.then((h) => h.close()).catch(() => undefined);
    }
  }
}
