/**
 * A read-only exFAT volume in a file (a materialised partition): cluster chains through the FAT or
 * contiguous (NoFatChain), directory listing, and file contents as bounded reads. Every chain is
 * capped by ClusterCount, so a FAT that loops ends in an error, never in an endless walk.
 */
import { open, stat, type FileHandle } from "node:fs/promises";
import { CancelledError } from "../../common/errors.js";
import type { ArchiveEntry } from "../seven-zip.js";
import { bad, parseBootSector, type ExfatGeometry } from "./boot-sector.js";
import { parseDirectory, type ExfatDirEntry } from "./entry-set.js";

/** A run of contiguous clusters. */
export interface ClusterRun {
  first: number;
  count: number;
}

export interface ExfatItem extends ArchiveEntry {
  /** Where its bytes are (files) or its entries are (folders). */
  stream: ExfatDirEntry;
}

/** The specification caps a directory at 256 MiB. */
const MAX_DIRECTORY = 256 * 1024 * 1024;
const FAT_BLOCK = 64 * 1024;
const FAT_CACHE_BLOCKS = 64;
const END_OF_CHAIN = 0xffffffff;

export class ExfatVolume {
  private readonly fatCache = new Map<number, Buffer>();
  private visited: Uint8Array | undefined;

  private constructor(
    private readonly handle: FileHandle,
    readonly geometry: ExfatGeometry,
  ) {}

  static async open(file: string): Promise<ExfatVolume> {
    const size = (await stat(file)).size;
    const handle = await open(file, "r");
    try {
      const head = Buffer.alloc(512);
      const { bytesRead } = await handle.read(head, 0, 512, 0);
      return new ExfatVolume(handle, parseBootSector(head.subarray(0, bytesRead), size));
    } catch (err) {
      await handle.close();
      throw err;
    }
  }

  async close(): Promise<void> {
    await this.handle.close();
  }

  /** Every file and folder, depth first, with 7-Zip-style paths ("docs/a.txt"). */
  async list(signal?: AbortSignal): Promise<ExfatItem[]> {
    const out: ExfatItem[] = [];
    const root = await this.readStream(this.rootStream(), "the root folder", MAX_DIRECTORY);
    const seen = new Set<number>([this.geometry.rootCluster]);
    await this.walk(parseDirectory(root, "the root folder"), "", out, seen, signal);
    return out;
  }

  private rootStream(): ExfatDirEntry {
    // The root's length is wherever its FAT chain ends; the cap bounds it.
    return {
      name: "",
      dir: true,
      mtime: null,
      firstCluster: this.geometry.rootCluster,
      dataLength: -1,
      validDataLength: -1,
      noFatChain: false,
    };
  }

  private async walk(
    entries: ExfatDirEntry[],
    prefix: string,
    out: ExfatItem[],
    seen: Set<number>,
    signal?: AbortSignal,
  ): Promise<void> {
    for (const e of entries) {
      if (signal?.aborted) throw new CancelledError("listing the exFAT volume");
      // Such a name could only ever be written outside the target folder: it is never listed.
      if (/[/\\\0]/.test(e.name) || e.name === "." || e.name === "..") continue;
      const p = prefix + e.name;
      out.push({
        path: p,
        type: e.dir ? "dir" : "file",
        size: e.dir ? 0 : e.dataLength,
        mtime: e.mtime,
        stream: e,
      });
      if (!e.dir || e.firstCluster === 0) continue;
      if (seen.has(e.firstCluster)) throw bad(`folder "${p}" shares its clusters with another folder`);
      seen.add(e.firstCluster);
      if (e.dataLength > MAX_DIRECTORY) throw bad(`folder "${p}" claims ${e.dataLength} bytes`);
      const data = await this.readStream(e, `folder "${p}"`, MAX_DIRECTORY);
      await this.walk(parseDirectory(data, `folder "${p}"`), p + "/", out, seen, signal);
    }
  }

  /** A whole (small) stream in memory: directories only, capped at `max` bytes. */
  private async readStream(e: ExfatDirEntry, what: string, max: number): Promise<Buffer> {
    const parts: Buffer[] = [];
    let total = 0;
    for await (const chunk of this.chunks(e, what, this.geometry.clusterSize)) {
      total += chunk.length;
      if (total > max) throw bad(`${what} is larger than ${max} bytes`);
      parts.push(Buffer.from(chunk));
    }
    return Buffer.concat(parts);
  }

  /**
   * The stream's bytes in chunks of at most `chunkSize` (a reused buffer: copy what you keep).
   * Bytes past the valid data length read as zeros, as the specification asks.
   */
  async *chunks(e: ExfatDirEntry, what: string, chunkSize: number): AsyncGenerator<Buffer> {
    const { clusterSize, heapOffset } = this.geometry;
    const length = e.dataLength < 0 ? Number.MAX_SAFE_INTEGER : e.dataLength;
    const valid = e.validDataLength < 0 ? length : e.validDataLength;
    const buffer = Buffer.alloc(Math.max(chunkSize, 1));
    let done = 0;
    for await (const run of this.runs(e, what)) {
      let offset = heapOffset + (run.first - 2) * clusterSize;
      let left = Math.min(run.count * clusterSize, length - done);
      while (left > 0) {
        const n = Math.min(left, buffer.length);
        const readable = Math.max(0, Math.min(n, valid - done));
        buffer.fill(0, readable, n);
        if (readable > 0) {
          const { bytesRead } = await this.handle.read(buffer, 0, readable, offset);
          if (bytesRead < readable) throw bad(`${what} lies past the end of the volume`);
        }
        yield buffer.subarray(0, n);
        done += n;
        offset += n;
        left -= n;
      }
      if (done >= length) return;
    }
    if (e.dataLength >= 0 && done < length) throw bad(`${what} ends after ${done} of ${length} bytes`);
  }

  /** The cluster runs of a stream: contiguous for NoFatChain, else followed through the FAT. */
  async *runs(e: ExfatDirEntry, what: string): AsyncGenerator<ClusterRun> {
    const { clusterCount, clusterSize } = this.geometry;
    if (e.dataLength === 0) return;
    const inHeap = (c: number): boolean => c >= 2 && c <= clusterCount + 1;
    if (!inHeap(e.firstCluster)) throw bad(`${what} starts at cluster ${e.firstCluster}, outside the volume`);
    const needed = e.dataLength < 0 ? clusterCount : Math.ceil(e.dataLength / clusterSize);
    if (needed > clusterCount) throw bad(`${what} claims ${e.dataLength} bytes, more than the volume holds`);
    if (e.noFatChain) {
      if (e.firstCluster + needed - 1 > clusterCount + 1) throw bad(`${what} runs past the last cluster`);
      yield { first: e.firstCluster, count: needed };
      return;
    }
    const visited = this.visitedMap();
    let low = e.firstCluster;
    let high = e.firstCluster;
    const mark = (c: number): boolean => {
      if (!visited) return true;
      const bit = 1 << (c & 7);
      if ((visited[c >>> 3] ?? 0) & bit) return false;
      visited[c >>> 3] = (visited[c >>> 3] ?? 0) | bit;
      low = Math.min(low, c);
      high = Math.max(high, c);
      return true;
    };
    try {
      mark(e.firstCluster);
      let run: ClusterRun = { first: e.firstCluster, count: 1 };
      let cluster = e.firstCluster;
      for (let walked = 1; walked < needed || e.dataLength < 0; walked++) {
        const next = await this.fatEntry(cluster);
        if (next === END_OF_CHAIN) {
          if (e.dataLength < 0) break;
          throw bad(`${what}'s cluster chain ends after ${walked} of ${needed} clusters`);
        }
        if (!inHeap(next)) throw bad(`${what}'s cluster chain points to cluster ${next}, outside the volume`);
        // A cluster seen twice, or more links than clusters exist, can only mean a loop.
        if (!mark(next) || walked >= clusterCount) throw bad(`${what}'s cluster chain loops`);
        if (next === run.first + run.count) run.count++;
        else {
          yield run;
          run = { first: next, count: 1 };
        }
        cluster = next;
      }
      yield run;
    } finally {
      visited?.fill(0, low >>> 3, (high >>> 3) + 1);
    }
  }

  /**
   * One bit per cluster, to catch a chain that comes back on itself; clear between chains. Not
   * kept for volumes over 2^28 clusters, where the ClusterCount cap alone ends a looping chain.
   */
  private visitedMap(): Uint8Array | undefined {
    if (this.geometry.clusterCount > 2 ** 28) return undefined;
    this.visited ??= new Uint8Array(Math.ceil((this.geometry.clusterCount + 2) / 8));
    return this.visited;
  }

  /** One FAT entry, read through a small cache of FAT blocks (the FAT itself may be large). */
  async fatEntry(cluster: number): Promise<number> {
    const at = cluster * 4;
    const block = Math.floor(at / FAT_BLOCK);
    let data = this.fatCache.get(block);
    if (!data) {
      data = await this.readFatBlock(block);
      if (this.fatCache.size >= FAT_CACHE_BLOCKS) {
        const oldest = this.fatCache.keys().next().value;
        if (oldest !== undefined) this.fatCache.delete(oldest);
      }
      this.fatCache.set(block, data);
    }
    const within = at - block * FAT_BLOCK;
    if (within + 4 > data.length) throw bad(`cluster ${cluster} has no entry in the FAT`);
    return data.readUInt32LE(within);
  }

  private async readFatBlock(block: number): Promise<Buffer> {
    const { fatOffset, fatBytes } = this.geometry;
    const start = block * FAT_BLOCK;
    const length = Math.min(FAT_BLOCK, fatBytes - start);
    if (length <= 0) throw bad(`FAT block ${block} lies past the FAT`);
    const data = Buffer.alloc(length);
    const { bytesRead } = await this.handle.read(data, 0, length, fatOffset + start);
    if (bytesRead < length) throw bad("the FAT lies past the end of the volume");
    return data;
  }
}
