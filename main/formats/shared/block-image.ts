/**
 * A DiskImageReader for formats that map the virtual disk in fixed-size blocks through a table
 * (VHD, VHDX): the format supplies a BlockLayout that says what each block holds, this module
 * does the reading, the allocation map and the hand-off to a parent disk for differencing images.
 */
import type { DiskImageReader, Extent, ImageInfo } from "../disk-image.js";
import { ImageFile } from "./image-file.js";
import { overlayOnParent, type OwnExtent } from "./overlay.js";
import { sectorRuns, type SectorBitmap } from "./sector-bitmap.js";

export type BlockMapping =
  | { kind: "zero" }
  /** Not in this layer: read from the parent (zeros without one). */
  | { kind: "parent" }
  | { kind: "data"; fileOffset: number }
  /** Some sectors here at `fileOffset + sector * sectorSize`, the others from the parent. */
  | { kind: "partial"; fileOffset: number; bitmap: SectorBitmap };

export interface BlockLayout {
  readonly blockSize: number;
  readonly virtualSize: number;
  /** What block `index` holds; throws ImageFormatError when its table entry is invalid. */
  map(index: number): Promise<BlockMapping>;
}

/** Up to this many runs of a partial block are read separately; more, through a window. */
const FEW_RUNS = 8;
const WINDOW = 4 * 1024 * 1024;

/** Coalesces reads of file ranges that follow each other both in the file and in the target. */
class ReadBatch {
  private fileOffset = 0;
  private targetStart = 0;
  private length = 0;

  constructor(
    private readonly file: ImageFile,
    private readonly target: Buffer,
  ) {}

  async add(fileOffset: number, targetStart: number, length: number): Promise<void> {
    const follows =
      fileOffset === this.fileOffset + this.length && targetStart === this.targetStart + this.length;
    if (this.length > 0 && follows) {
      this.length += length;
      return;
    }
    await this.flush();
    this.fileOffset = fileOffset;
    this.targetStart = targetStart;
    this.length = length;
  }

  async flush(): Promise<void> {
    if (this.length === 0) return;
    const piece = this.target.subarray(this.targetStart, this.targetStart + this.length);
    this.length = 0;
    await this.file.readInto(piece, this.fileOffset, "disk data");
  }
}

export class BlockImageReader implements DiskImageReader {
  readonly virtualSize: number;

  constructor(
    readonly info: ImageInfo,
    private readonly file: ImageFile,
    private readonly layout: BlockLayout,
    private readonly parent: DiskImageReader | undefined,
  ) {
    this.virtualSize = layout.virtualSize;
  }

  allocation(): AsyncIterable<Extent> {
    return overlayOnParent(this.ownExtents(), this.parent);
  }

  async read(offset: number, target: Buffer): Promise<void> {
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + target.length > this.virtualSize) {
      throw new RangeError(
        `read of ${target.length} bytes at ${offset} is outside the ${this.virtualSize}-byte disk`,
      );
    }
    const { blockSize } = this.layout;
    const batch = new ReadBatch(this.file, target);
    let pos = 0;
    while (pos < target.length) {
      const at = offset + pos;
      const index = Math.floor(at / blockSize);
      const inBlock = at - index * blockSize;
      const n = Math.min(target.length - pos, blockSize - inBlock);
      const mapping = await this.mapChecked(index);
      if (mapping.kind === "zero") target.fill(0, pos, pos + n);
      else if (mapping.kind === "parent") await this.readParent(at, target.subarray(pos, pos + n));
      else if (mapping.kind === "data") await batch.add(mapping.fileOffset + inBlock, pos, n);
      else {
        const piece = target.subarray(pos, pos + n);
        await this.readPartial(mapping.fileOffset, mapping.bitmap, at, inBlock, piece, (start, length) =>
          batch.add(mapping.fileOffset + start, pos + start - inBlock, length),
        );
      }
      pos += n;
    }
    await batch.flush();
  }

  async close(): Promise<void> {
    try {
      await this.file.close();
    } finally {
      await this.parent?.close();
    }
  }

  private async *ownExtents(): AsyncGenerator<OwnExtent> {
    const { blockSize, virtualSize } = this.layout;
    for (let index = 0; index * blockSize < virtualSize; index++) {
      const start = index * blockSize;
      const length = Math.min(blockSize, virtualSize - start);
      const mapping = await this.mapChecked(index);
      if (mapping.kind !== "partial") {
        yield { offset: start, length, kind: mapping.kind };
        continue;
      }
      const { sectorSize } = mapping.bitmap;
      for (const run of sectorRuns(mapping.bitmap, 0, Math.ceil(length / sectorSize))) {
        const end = Math.min(length, run.end * sectorSize);
        const runStart = run.start * sectorSize;
        yield { offset: start + runStart, length: end - runStart, kind: run.present ? "data" : "parent" };
      }
    }
  }

  /** The layout's answer, with the block's data checked to lie inside the file. */
  private async mapChecked(index: number): Promise<BlockMapping> {
    const mapping = await this.layout.map(index);
    if (mapping.kind === "data" || mapping.kind === "partial") {
      const { blockSize, virtualSize } = this.layout;
      const needed = Math.min(blockSize, virtualSize - index * blockSize);
      this.file.check(mapping.fileOffset, needed, `the data of block ${index}`);
    }
    return mapping;
  }

  /**
   * A block whose sectors are split between this layer and the parent: the parent's bytes first
   * (one read), then this layer's sectors over them. A few runs are read one by one (`readRun`,
   * with `start` relative to the block); many, as a finely interleaved bitmap gives, through a
   * window read whole, so that the number of reads stays small.
   */
  private async readPartial(
    fileOffset: number,
    bitmap: SectorBitmap,
    at: number,
    inBlock: number,
    piece: Buffer,
    readRun: (start: number, length: number) => Promise<void>,
  ): Promise<void> {
    await this.readParent(at, piece);
    const { sectorSize } = bitmap;
    const end = inBlock + piece.length;
    const runs: { start: number; end: number }[] = [];
    for (const run of sectorRuns(bitmap, Math.floor(inBlock / sectorSize), Math.ceil(end / sectorSize))) {
      if (run.present)
        runs.push({
          start: Math.max(inBlock, run.start * sectorSize),
          end: Math.min(end, run.end * sectorSize),
        });
    }
    if (runs.length <= FEW_RUNS) {
      for (const run of runs) await readRun(run.start, run.end - run.start);
      return;
    }
    const window = Buffer.allocUnsafe(Math.min(WINDOW, piece.length));
    let i = 0;
    let windowStart = runs[0]?.start ?? end;
    while (i < runs.length) {
      const windowEnd = Math.min(windowStart + window.length, end);
      await this.file.readInto(
        window.subarray(0, windowEnd - windowStart),
        fileOffset + windowStart,
        "disk data",
      );
      for (let run = runs[i]; run && run.start < windowEnd; run = runs[i]) {
        const from = Math.max(run.start, windowStart);
        const to = Math.min(run.end, windowEnd);
        window.copy(piece, from - inBlock, from - windowStart, to - windowStart);
        if (run.end > windowEnd) break;
        i++;
      }
      windowStart = Math.max(windowEnd, runs[i]?.start ?? windowEnd);
    }
  }

  private async readParent(at: number, piece: Buffer): Promise<void> {
    const inParent = this.parent ? Math.max(0, Math.min(piece.length, this.parent.virtualSize - at)) : 0;
    if (this.parent && inParent > 0) await this.parent.read(at, piece.subarray(0, inParent));
    piece.fill(0, inParent);
  }
}

/** The info of a layer on top of its parent's chain (top first), as `inspect` shows it. */
export function layeredInfo(
  layer: { path: string; format: string; variant: string; virtualSize: number; fileSize: number },
  parent: DiskImageReader | undefined,
): ImageInfo {
  return {
    format: layer.format,
    variant: layer.variant,
    virtualSize: layer.virtualSize,
    chain: [layer, ...(parent?.info.chain ?? [])],
  };
}

/** What a format reads from one layer's file to serve it through a BlockImageReader. */
export interface BlockLayer {
  layout: BlockLayout;
  variant: string;
  virtualSize: number;
  /** Opens a differencing layer's parent; undefined for a layer without one. */
  openParent: (() => Promise<DiskImageReader>) | undefined;
}

/**
 * Opens one layer of a block-mapped image: `read` reads the format's structures from the file,
 * then the parent is opened if there is one. On failure the parent and the file are closed.
 */
export async function openBlockLayer(
  path: string,
  format: string,
  read: (file: ImageFile) => Promise<BlockLayer>,
): Promise<DiskImageReader> {
  const file = await ImageFile.open(path);
  let parent: DiskImageReader | undefined;
  try {
    const layer = await read(file);
    if (layer.openParent) parent = await layer.openParent();
    const info = layeredInfo(
      { path, format, variant: layer.variant, virtualSize: layer.virtualSize, fileSize: file.allocatedBytes },
      parent,
    );
    return new BlockImageReader(info, file, layer.layout, parent);
  } catch (err) {
    await parent?.close();
    await file.close();
    throw err;
  }
}
