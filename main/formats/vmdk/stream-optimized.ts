/**
 * Stream-optimized extents (OVF/OVA exports, "vmdk-stream"): every grain is deflate-compressed
 * behind a small header (its sector and compressed size), and a file written as a stream keeps its
 * grain directory at the end, found through the footer (a copy of the header) before the
 * end-of-stream marker.
 */
import { promisify } from "node:util";
import { inflate, inflateRaw } from "node:zlib";
import { ImageFormatError } from "../image-error.js";
import type { PooledFile } from "./file-pool.js";
import type { CompressedGrains } from "./grained-extent.js";
import { SECTOR } from "./limits.js";
import type { LruCache } from "../shared/lru-cache.js";
import { HEADER_BYTES, SPARSE_MAGIC, parseSparseHeader, type SparseHeader } from "./sparse-header.js";

const inflateAsync = promisify(inflate);
const inflateRawAsync = promisify(inflateRaw);

/** lba (8 bytes) and compressed size (4 bytes) before each grain's compressed bytes. */
const GRAIN_HEADER_BYTES = 12;
const MARKER_FOOTER = 3;
const TRUNCATED_HINT = "Download or export the disk again: the copy is incomplete.";

/** The footer's header, which holds the grain directory offset when the header says "at the end". */
export async function readFooter(file: PooledFile): Promise<SparseHeader> {
  // Layout of the last three sectors: footer marker, footer (a header copy), end-of-stream marker.
  const tail = Buffer.alloc(3 * SECTOR);
  const missing = new ImageFormatError(
    file.path,
    "is a stream-optimized disk whose grain directory is stored at its end, but the footer there is missing: the file is truncated or damaged",
    TRUNCATED_HINT,
  );
  if (file.size < HEADER_BYTES + tail.length) throw missing;
  await file.read(tail, file.size - tail.length, "footer");
  const markerOk = tail.readUInt32LE(8) === 0 && tail.readUInt32LE(12) === MARKER_FOOTER;
  if (!markerOk || tail.toString("latin1", SECTOR, SECTOR + 4) !== SPARSE_MAGIC) throw missing;
  const footer = parseSparseHeader(tail.subarray(SECTOR, 2 * SECTOR), file.path, "footer");
  if (footer.gdSector === "at-end") {
    throw new ImageFormatError(
      file.path,
      "the footer does not say where the grain directory is",
      TRUNCATED_HINT,
    );
  }
  return footer;
}

function isZlibStream(data: Buffer): boolean {
  const cmf = data[0] ?? 0;
  const flg = data[1] ?? 0;
  return (cmf & 0x0f) === 8 && ((cmf << 8) | flg) % 31 === 0;
}

export class StreamGrains implements CompressedGrains {
  constructor(
    private readonly file: PooledFile,
    private readonly grainSectors: number,
    private readonly cache: LruCache<string, Buffer>,
    private readonly id: string,
  ) {}

  private get grainBytes(): number {
    return this.grainSectors * SECTOR;
  }

  async read(grain: number, sector: number, within: number, target: Buffer): Promise<void> {
    const data = await this.cache.get(`${this.id}:${grain}`, () => this.load(grain, sector), this.grainBytes);
    const copied = data.copy(target, 0, within, Math.min(data.length, within + target.length));
    // The last grain may decompress to less than a full grain: the rest of the disk there is zeros.
    target.fill(0, copied);
  }

  private async load(grain: number, sector: number): Promise<Buffer> {
    const what = `compressed grain ${grain} (disk offset ${grain * this.grainBytes})`;
    const position = sector * SECTOR;
    this.file.check(position, GRAIN_HEADER_BYTES, what);
    // One read usually covers header and data: deflate expands incompressible data only slightly.
    const guess = Math.min(this.file.size - position, GRAIN_HEADER_BYTES + this.grainBytes + 1024);
    let buf = Buffer.allocUnsafe(guess); // filled completely by the read, or the read throws
    await this.file.read(buf, position, what);
    const lba = buf.readBigUInt64LE(0);
    const size = buf.readUInt32LE(8);
    if (lba !== BigInt(grain * this.grainSectors)) {
      throw new ImageFormatError(
        this.file.path,
        `${what}: the grain table points to byte ${position}, which holds the grain for sector ${lba}`,
      );
    }
    if (size === 0 || size > 2 * this.grainBytes + 1024) {
      throw new ImageFormatError(
        this.file.path,
        `${what} claims ${size} compressed bytes, which is impossible`,
      );
    }
    if (GRAIN_HEADER_BYTES + size > buf.length) {
      this.file.check(position, GRAIN_HEADER_BYTES + size, what);
      buf = Buffer.alloc(GRAIN_HEADER_BYTES + size);
      await this.file.read(buf, position, what);
    }
    const data = buf.subarray(GRAIN_HEADER_BYTES, GRAIN_HEADER_BYTES + size);
    try {
      // One output chunk per grain: the default 16 KiB chunks cost a round trip to the thread pool
      // each, and so does a chunk the grain fills exactly (zlib needs room to see the stream end).
      const options = { maxOutputLength: this.grainBytes, chunkSize: Math.max(this.grainBytes + 64, 1024) };
      return await (isZlibStream(data) ? inflateAsync(data, options) : inflateRawAsync(data, options));
    } catch (err) {
      throw new ImageFormatError(
        this.file.path,
        `${what} cannot be decompressed (${err instanceof Error ? err.message : String(err)})`,
        TRUNCATED_HINT,
      );
    }
  }
}
