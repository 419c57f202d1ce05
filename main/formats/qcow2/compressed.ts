/**
 * Compressed clusters: raw deflate (zlib) or zstd, one cluster each. The stored size is rounded up
 * to whole sectors, so the input may end with bytes of the next compressed cluster: decompression
 * stops as soon as a full cluster has come out, and never produces more than one.
 */
import type { FileHandle } from "node:fs/promises";
import { constants as zlibConstants, inflateRawSync } from "node:zlib";
import zstdBinding from "zstd-napi/binding.js";
import { ImageFormatError } from "../image-error.js";
import { readAt } from "./io.js";
import { LruCache } from "../shared/lru-cache.js";

const { DCtx, DParameter, ResetDirective } = zstdBinding;

/** Small reads of one compressed cluster in a row should decompress it once. */
const CACHED_CLUSTERS = 4;
/** A cluster is at most 2 MiB, so a frame asking for a larger window is damaged, not big. */
const ZSTD_WINDOW_LOG_MAX = 22;
const READ_AHEAD_BYTES = 256 * 1024;
/**
 * Room past a whole cluster in zlib's output chunk, so that one chunk holds the cluster: with the
 * default 16 KiB chunks zlib allocates several and copies them together, and a chunk the cluster
 * fills exactly makes it allocate another and inflate again just to see the stream end.
 */
const CHUNK_SLACK = 64;

export class CompressedClusters {
  private readonly cache = new LruCache<number, Buffer>(CACHED_CLUSTERS);
  private dctx: InstanceType<typeof DCtx> | undefined;
  private window: { start: number; bytes: Buffer } | undefined;

  constructor(
    private readonly file: string,
    private readonly handle: FileHandle,
    private readonly fileSize: number,
    private readonly clusterSize: number,
    private readonly type: "zlib" | "zstd",
  ) {}

  /** The cluster stored compressed at `host` (`size` bytes at most); `guestOffset` is for errors. */
  cluster(host: number, size: number, guestOffset: number): Promise<Buffer> {
    return this.cache.get(host, () => this.decompress(host, size, guestOffset));
  }

  private async decompress(host: number, size: number, guestOffset: number): Promise<Buffer> {
    const packed = await this.packed(host, Math.min(size, this.fileSize - host));
    const out = this.type === "zstd" ? this.zstd(packed) : this.zlib(packed);
    if (out === undefined || out.length !== this.clusterSize) {
      throw new ImageFormatError(
        this.file,
        `qcow2 compressed cluster for guest offset ${guestOffset} (file offset ${host}) is damaged: ` +
          `it does not decompress (${this.type}) to one cluster`,
      );
    }
    return out;
  }

  /**
   * Compressed clusters lie back to back in the file, so one read of a window serves many of
   * them. The descriptor bounds `length` to two clusters, and the header bounds the cluster size.
   */
  private async packed(host: number, length: number): Promise<Buffer> {
    const window = this.window;
    if (window && host >= window.start && host + length <= window.start + window.bytes.length) {
      return window.bytes.subarray(host - window.start, host - window.start + length);
    }
    // Not zeroed first: readAt writes every byte (zeros past the end of the file), and zeroing
    // each new window took about 5% of the time spent reading a compressed image.
    const bytes = Buffer.allocUnsafe(Math.min(Math.max(length, READ_AHEAD_BYTES), this.fileSize - host));
    await readAt(this.handle, bytes, host);
    this.window = { start: host, bytes };
    return bytes.subarray(0, length);
  }

  /**
   * On the main thread: zlib's asynchronous form builds a stream per call, which cost more CPU
   * than it saved by inflating clusters on both cores, and a backup's workers want those cores.
   */
  private zlib(packed: Buffer): Buffer | undefined {
    try {
      // A sync flush at the end accepts input that stops early; the length check catches it.
      return inflateRawSync(packed, {
        maxOutputLength: this.clusterSize,
        finishFlush: zlibConstants.Z_SYNC_FLUSH,
        chunkSize: this.clusterSize + CHUNK_SLACK,
      });
    } catch {
      return undefined;
    }
  }

  private zstd(packed: Buffer): Buffer | undefined {
    const dctx = this.dctx ?? new DCtx();
    if (!this.dctx) {
      dctx.setParameter(DParameter.windowLogMax, ZSTD_WINDOW_LOG_MAX);
      this.dctx = dctx;
    }
    dctx.reset(ResetDirective.sessionOnly);
    const out = Buffer.alloc(this.clusterSize);
    let written = 0;
    let consumed = 0;
    try {
      while (written < out.length) {
        const [, produced, used] = dctx.decompressStream(out.subarray(written), packed.subarray(consumed));
        if (produced === 0 && used === 0) return undefined;
        written += produced;
        consumed += used;
      }
    } catch {
      return undefined;
    }
    return out;
  }
}
