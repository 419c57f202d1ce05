/**
 * A fixed-width table in the image file (a block allocation table), read in pages on demand and
 * cached in a bounded LRU: a 64 TiB disk's BAT is hundreds of MiB and must never be loaded whole.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "./image-file.js";
import { LruCache } from "./lru-cache.js";

const PAGE_BYTES = 64 * 1024;
const CACHED_PAGES = 64;

export class PagedTable {
  private readonly perPage: number;
  private readonly pages = new LruCache<number, Buffer>(CACHED_PAGES);

  constructor(
    private readonly file: ImageFile,
    private readonly what: string,
    private readonly offset: number,
    readonly count: number,
    private readonly entrySize: number,
  ) {
    this.perPage = Math.floor(PAGE_BYTES / entrySize);
    file.check(offset, count * entrySize, what);
  }

  /** The `entrySize` bytes of entry `index`. */
  async entry(index: number): Promise<Buffer> {
    if (!Number.isInteger(index) || index < 0 || index >= this.count) {
      throw new ImageFormatError(this.file.path, `${this.what} has no entry ${index} (it has ${this.count})`);
    }
    const page = Math.floor(index / this.perPage);
    const data = await this.pages.get(page, () => this.loadPage(page));
    const at = (index - page * this.perPage) * this.entrySize;
    return data.subarray(at, at + this.entrySize);
  }

  private loadPage(page: number): Promise<Buffer> {
    const first = page * this.perPage;
    const entries = Math.min(this.perPage, this.count - first);
    return this.file.read(this.offset + first * this.entrySize, entries * this.entrySize, this.what);
  }
}
