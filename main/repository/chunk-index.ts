/**
 * The in-memory index: chunk id → where the blob lives (pack, offset, lengths).
 *
 * A repository of 1 TiB holds about a million chunks, so this is a compact open-addressing hash
 * table over flat typed arrays (about 60 bytes a chunk) rather than a Map of objects (about 200).
 * Ids are HMAC or SHA-256 outputs, uniformly random, so their first four bytes are the hash.
 */
import { ID_SIZE, type BlobType, type Compression } from "./file-formats.js";
import type { PackEntry } from "./pack-table.js";

export interface BlobLocation {
  packId: string;
  type: BlobType;
  compression: Compression;
  offset: number;
  storedLength: number;
  rawLength: number;
}

export interface PackInfo {
  id: string;
  size: number;
}

const EMPTY = -1;

export class ChunkIndex {
  private ids = Buffer.alloc(ID_SIZE * 1024);
  private meta = new Uint32Array(4 * 1024);
  private kinds = new Uint8Array(2 * 1024);
  private slots = new Int32Array(2048).fill(EMPTY);
  private count = 0;
  private readonly packIds: string[] = [];
  private readonly packSizes: number[] = [];
  private readonly packNumbers = new Map<string, number>();

  get size(): number {
    return this.count;
  }

  hasPack(packId: string): boolean {
    return this.packNumbers.has(packId);
  }

  packs(): PackInfo[] {
    return this.packIds.map((id, i) => ({ id, size: this.packSizes[i] ?? 0 }));
  }

  /** Adds every blob of a pack. A blob already indexed elsewhere keeps its first location. */
  addPack(packId: string, size: number, entries: readonly PackEntry[]): void {
    let packNo = this.packNumbers.get(packId);
    if (packNo === undefined) {
      packNo = this.packIds.length;
      this.packIds.push(packId);
      this.packSizes.push(size);
      this.packNumbers.set(packId, packNo);
    }
    for (const e of entries) this.insert(e, packNo);
  }

  has(id: Uint8Array): boolean {
    return this.find(id) !== EMPTY;
  }

  get(id: Uint8Array): BlobLocation | undefined {
    const i = this.find(id);
    if (i === EMPTY) return undefined;
    const m = i * 4;
    return {
      packId: this.packIds[this.meta[m] ?? 0] ?? "",
      type: (this.kinds[i * 2] ?? 0) as BlobType,
      compression: (this.kinds[i * 2 + 1] ?? 0) as Compression,
      offset: this.meta[m + 1] ?? 0,
      storedLength: this.meta[m + 2] ?? 0,
      rawLength: this.meta[m + 3] ?? 0,
    };
  }

  /** Calls `visit` with every indexed blob id (a copy) and its location. */
  *entries(): Generator<[Buffer, BlobLocation]> {
    for (let i = 0; i < this.count; i++) {
      const id = Buffer.from(this.ids.subarray(i * ID_SIZE, (i + 1) * ID_SIZE));
      const loc = this.get(id);
      if (loc) yield [id, loc];
    }
  }

  private slotOf(id: Uint8Array): number {
    return ((id[0] ?? 0) | ((id[1] ?? 0) << 8) | ((id[2] ?? 0) << 16) | ((id[3] ?? 0) << 24)) >>> 0;
  }

  private find(id: Uint8Array): number {
    const mask = this.slots.length - 1;
    for (let s = this.slotOf(id) & mask; ; s = (s + 1) & mask) {
      const i = this.slots[s] ?? EMPTY;
      if (i === EMPTY) return EMPTY;
      if (this.ids.compare(id, 0, ID_SIZE, i * ID_SIZE, (i + 1) * ID_SIZE) === 0) return i;
    }
  }

  private insert(e: PackEntry, packNo: number): void {
    if (this.find(e.id) !== EMPTY) return;
    if ((this.count + 1) * 2 > this.slots.length) this.growTable();
    if (this.count === this.meta.length / 4) this.growRecords();
    const i = this.count++;
    e.id.copy(this.ids, i * ID_SIZE);
    this.meta.set([packNo, e.offset, e.storedLength, e.rawLength], i * 4);
    this.kinds[i * 2] = e.type;
    this.kinds[i * 2 + 1] = e.compression;
    this.place(i);
  }

  private place(i: number): void {
    const mask = this.slots.length - 1;
    let s = this.slotOf(this.ids.subarray(i * ID_SIZE, i * ID_SIZE + 4)) & mask;
    while (this.slots[s] !== EMPTY) s = (s + 1) & mask;
    this.slots[s] = i;
  }

  private growRecords(): void {
    const cap = (this.meta.length / 4) * 2;
    const ids = Buffer.alloc(cap * ID_SIZE);
    this.ids.copy(ids);
    this.ids = ids;
    const meta = new Uint32Array(cap * 4);
    meta.set(this.meta);
    this.meta = meta;
    const kinds = new Uint8Array(cap * 2);
    kinds.set(this.kinds);
    this.kinds = kinds;
  }

  private growTable(): void {
    this.slots = new Int32Array(this.slots.length * 2).fill(EMPTY);
    for (let i = 0; i < this.count; i++) this.place(i);
  }
}
