/**
 * Random access to one disk of a restore point, straight from the repository: what file-level
 * restore (a partition materialised for 7-Zip) and instant recovery (an NBD export) read through.
 *
 * Memory stays bounded whatever the disk size: chunk-list segments and decoded chunks are each
 * kept in a small least-recently-used cache, and a chunk being decoded is shared by every read
 * that wants it, so a burst of small reads into one chunk decodes it once. Every chunk is
 * verified against its id (in a worker) before any byte of it is returned.
 */
import { CorruptDataError, SnapferryError } from "../common/errors.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import { chunkCount } from "../repository/chunk-list.js";
import { HOLE_ID, SEGMENT_CHUNKS } from "../repository/file-formats.js";
import type { Repository } from "../repository/repository.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import { defaultWorkerCount } from "../workers/pool.js";
import { closeChunkReading, openChunkReading, readChunk, type ChunkReading } from "./chunk-reading.js";

/** A run of the disk that is either stored data or a hole (reads as zeros, nothing stored). */
export interface StoredExtent {
  offset: number;
  length: number;
  data: boolean;
}

export interface StoredDiskOptions {
  repo: Repository;
  index: ChunkIndex;
  restorePoint: RestorePoint;
  disk: DiskRecord;
  workers?: number;
  /** Decoded chunks kept for re-reads; 16 by default (16 MiB at the default chunk size). */
  cacheChunks?: number;
}

/** A tiny LRU map: Map keeps insertion order, so the first key is the least recently used. */
class Lru<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly limit: number) {}

  get(key: K): V | undefined {
    const value = this.map.get(key);
    if (value !== undefined) {
      this.map.delete(key);
      this.map.set(key, value);
    }
    return value;
  }

  set(key: K, value: V): void {
    this.map.delete(key);
    this.map.set(key, value);
    while (this.map.size > this.limit) {
      const oldest = this.map.keys().next();
      if (oldest.done === true) break;
      this.map.delete(oldest.value);
    }
  }

  delete(key: K): void {
    this.map.delete(key);
  }
}

export class StoredDisk {
  readonly size: number;
  readonly chunkSize: number;
  /** "disk 0 (sda) of restore point 1a2b3c4d": how errors name this disk. */
  readonly label: string;
  private readonly chunks: number;
  private readonly reading: ChunkReading;
  private readonly segments = new Lru<number, Promise<Buffer[]>>(64);
  private readonly decoded: Lru<number, Promise<Buffer>>;
  private closed = false;

  private constructor(private readonly options: StoredDiskOptions) {
    const { disk, restorePoint } = options;
    this.size = disk.size;
    this.chunkSize = disk.chunkSize;
    this.chunks = chunkCount(disk.size, disk.chunkSize);
    this.label = `disk ${disk.index} (${disk.name}) of restore point ${restorePoint.id.slice(0, 8)}`;
    this.reading = openChunkReading(options.repo, options.workers ?? defaultWorkerCount());
    this.decoded = new Lru(Math.max(1, options.cacheChunks ?? 16));
  }

  static open(options: StoredDiskOptions): StoredDisk {
    const { disk } = options;
    const expected = Math.ceil(chunkCount(disk.size, disk.chunkSize) / SEGMENT_CHUNKS);
    if (disk.segments.length !== expected) {
      throw new CorruptDataError(
        `disk ${disk.index} of restore point ${options.restorePoint.id.slice(0, 8)} lists ` +
          `${disk.segments.length} chunk lists, expected ${expected}`,
      );
    }
    return new StoredDisk(options);
  }

  /** Reads `length` bytes at `offset`; the range must lie inside the disk. */
  async read(offset: number, length: number): Promise<Buffer> {
    this.assertRange(offset, length);
    const out = Buffer.allocUnsafe(length);
    const parts: Promise<void>[] = [];
    for (let at = offset; at < offset + length;) {
      const chunk = Math.floor(at / this.chunkSize);
      const inChunk = at - chunk * this.chunkSize;
      const take = Math.min(this.chunkSize - inChunk, offset + length - at);
      const into = at - offset;
      parts.push(
        this.chunk(chunk).then((data) => {
          if (data) data.copy(out, into, inChunk, inChunk + take);
          else out.fill(0, into, into + take);
        }),
      );
      at += take;
    }
    await Promise.all(parts);
    return out;
  }

  /** Data and hole runs covering `[offset, offset + length)`, merged, at chunk granularity. */
  async extents(offset = 0, length = this.size - offset): Promise<StoredExtent[]> {
    this.assertRange(offset, length);
    const out: StoredExtent[] = [];
    const end = offset + length;
    for (let at = offset; at < end;) {
      const chunk = Math.floor(at / this.chunkSize);
      const next = Math.min(end, (chunk + 1) * this.chunkSize);
      const data = !(await this.chunkId(chunk)).equals(HOLE_ID);
      const last = out[out.length - 1];
      if (last && last.data === data) last.length += next - at;
      else out.push({ offset: at, length: next - at, data });
      at = next;
    }
    return out;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await closeChunkReading(this.reading);
  }

  private assertRange(offset: number, length: number): void {
    if (this.closed) throw new SnapferryError("internal", `${this.label} is closed`);
    if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
      throw new SnapferryError("usage", `invalid range ${offset}+${length} on ${this.label}`);
    }
    if (offset + length > this.size) {
      throw new SnapferryError(
        "usage",
        `the range ${offset}+${length} reaches past the end of ${this.label} (${this.size} bytes)`,
      );
    }
  }

  /** The decoded chunk, or undefined for a hole. */
  private async chunk(n: number): Promise<Buffer | undefined> {
    const id = await this.chunkId(n);
    if (id.equals(HOLE_ID)) return undefined;
    let pending = this.decoded.get(n);
    if (!pending) {
      pending = this.decode(n, id);
      // A failed decode is not cached: the next read tries again and reports again.
      pending.catch(() => this.decoded.delete(n));
      this.decoded.set(n, pending);
    }
    return pending;
  }

  private decode(n: number, id: Buffer): Promise<Buffer> {
    return readChunk(this.reading, this.options.index, id, `${this.label} at offset ${n * this.chunkSize}`);
  }

  private async chunkId(n: number): Promise<Buffer> {
    if (n < 0 || n >= this.chunks) throw new SnapferryError("internal", `chunk ${n} outside ${this.label}`);
    const seg = Math.floor(n / SEGMENT_CHUNKS);
    const ids = await this.segment(seg);
    const id = ids[n - seg * SEGMENT_CHUNKS];
    if (!id) throw new CorruptDataError(`${this.label}: chunk list ${seg} is too short`);
    return id;
  }

  private segment(seg: number): Promise<Buffer[]> {
    let pending = this.segments.get(seg);
    if (!pending) {
      pending = this.loadSegment(seg);
      pending.catch(() => this.segments.delete(seg));
      this.segments.set(seg, pending);
    }
    return pending;
  }

  private async loadSegment(seg: number): Promise<Buffer[]> {
    const segmentId = this.options.disk.segments[seg];
    if (segmentId === undefined) throw new CorruptDataError(`${this.label}: chunk list ${seg} is missing`);
    const what = `${this.label} at offset ${seg * SEGMENT_CHUNKS * this.chunkSize}: chunk list ${seg}`;
    const ids = await this.options.repo.readChunkList(this.options.index, segmentId, what);
    const expected = Math.min(SEGMENT_CHUNKS, this.chunks - seg * SEGMENT_CHUNKS);
    if (ids.length !== expected) {
      throw new CorruptDataError(
        `${this.label}: chunk list ${seg} holds ${ids.length} chunks, expected ${expected}`,
      );
    }
    return ids;
  }
}
