/**
 * The copy-on-write overlay of an instant recovery: every write a client makes lands here, so
 * the repository is never modified. Two files (format in docs/instant-recovery.md):
 *
 * - FILE, the data file: sparse, the size of the disk, each written block at its own offset;
 * - FILE.map, the map: JSON naming the restore point and disk it belongs to, the block size, and
 *   the runs of blocks that are written ("data") or zeroed ("zero"). Blocks in neither read from
 *   the restore point.
 *
 * The map is kept in memory in proportion to the written blocks, not to the disk size. A write
 * smaller than a block first fills the rest of the block from what the disk shows there, so a
 * block in the data file is always whole. `flush` makes every completed write durable: the data
 * file is synced first, then the map is written to a temporary file, synced and renamed, so a
 * crash leaves the previous map or the new one, and never a map naming unsynced data.
 */
import { writeFully } from "../common/write-fully.js";
import { promises as fs } from "node:fs";
import path from "node:path";
import { CorruptDataError, SnapferryError, errnoCode, explainIoError } from "../common/errors.js";

export const OVERLAY_BLOCK = 64 * 1024;
const FORMAT = "snapferry-overlay";
const VERSION = 1;

export type BlockState = "base" | "data" | "zero";

/** What the overlay belongs to: a map made for another disk must never be laid over this one. */
export interface OverlayIdentity {
  restorePoint: string;
  disk: number;
  size: number;
}

interface MapFile extends OverlayIdentity {
  format: string;
  version: number;
  blockSize: number;
  /** [first block, block count] runs. */
  data: [number, number][];
  zero: [number, number][];
}

/** Reads what the disk shows at a range before an overlay write changes part of a block. */
export type BaseReader = (offset: number, length: number) => Promise<Buffer>;

export function mapPath(file: string): string {
  return `${file}.map`;
}

export class Overlay {
  private readonly blocks = new Map<number, "data" | "zero">();
  private readonly locks = new Map<number, Promise<void>>();
  private dirty = false;
  private flushing: Promise<void> | undefined;
  private closed = false;

  private constructor(
    readonly file: string,
    readonly identity: OverlayIdentity,
    private readonly handle: fs.FileHandle,
  ) {}

  /** Opens FILE (and FILE.map) for this disk, creating them when absent. */
  static async open(file: string, identity: OverlayIdentity): Promise<Overlay> {
    const saved = await readMap(file, identity);
    let handle: fs.FileHandle;
    try {
      handle = await fs.open(file, saved ? "r+" : "w+");
      if (!saved) await handle.truncate(identity.size);
    } catch (err) {
      throw explainIoError(err, file, "Choose an overlay file on a disk with free space (--overlay FILE).");
    }
    const overlay = new Overlay(file, identity, handle);
    if (saved) {
      for (const [first, count] of saved.data)
        for (let b = first; b < first + count; b++) overlay.blocks.set(b, "data");
      for (const [first, count] of saved.zero)
        for (let b = first; b < first + count; b++) overlay.blocks.set(b, "zero");
    } else {
      overlay.dirty = true;
      await overlay.flush();
    }
    return overlay;
  }

  get blockCount(): number {
    return Math.ceil(this.identity.size / OVERLAY_BLOCK);
  }

  /** Bytes of written blocks (zeroed ones take no space in the data file). */
  get dataBytes(): number {
    let n = 0;
    for (const state of this.blocks.values()) if (state === "data") n++;
    return n * OVERLAY_BLOCK;
  }

  get writtenBlocks(): number {
    return this.blocks.size;
  }

  state(block: number): BlockState {
    return this.blocks.get(block) ?? "base";
  }

  /** Reads from the data file; only valid inside blocks in the "data" state. */
  async readData(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, offset + done);
      if (bytesRead === 0) break;
      done += bytesRead;
    }
    return out;
  }

  /**
   * Writes `data` at `offset` (or zeros, when `data` is a length). Whole blocks of zeros are
   * only marked "zero" in the map; partial blocks are filled from `base` first.
   */
  async write(offset: number, data: Buffer | number, base: BaseReader): Promise<void> {
    const length = typeof data === "number" ? data : data.length;
    const parts: Promise<void>[] = [];
    for (let at = offset; at < offset + length;) {
      const block = Math.floor(at / OVERLAY_BLOCK);
      const start = block * OVERLAY_BLOCK;
      const blockLength = Math.min(OVERLAY_BLOCK, this.identity.size - start);
      const end = Math.min(offset + length, start + blockLength);
      const piece = typeof data === "number" ? undefined : data.subarray(at - offset, end - offset);
      const inBlock = at - start;
      const pieceLength = end - at;
      parts.push(
        this.locked(block, () => this.writeBlock(block, blockLength, inBlock, pieceLength, piece, base)),
      );
      at = end;
    }
    await Promise.all(parts);
  }

  /** Makes every completed write durable (see the file comment for the order). */
  async flush(): Promise<void> {
    while (this.flushing) await this.flushing;
    if (!this.dirty) return;
    this.flushing = this.persist().finally(() => (this.flushing = undefined));
    await this.flushing;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    await this.flush();
    this.closed = true;
    await this.handle.close();
  }

  private async writeBlock(
    block: number,
    blockLength: number,
    inBlock: number,
    length: number,
    piece: Buffer | undefined,
    base: BaseReader,
  ): Promise<void> {
    const start = block * OVERLAY_BLOCK;
    const whole = inBlock === 0 && length === blockLength;
    const current = this.state(block);
    if (!piece && (whole || current === "zero")) {
      this.mark(block, "zero");
      return;
    }
    const bytes = piece ?? Buffer.alloc(length);
    if (whole || current === "data") {
      await this.pwrite(bytes, start + inBlock);
    } else {
      const full = current === "zero" ? Buffer.alloc(blockLength) : await base(start, blockLength);
      bytes.copy(full, inBlock);
      await this.pwrite(full, start);
    }
    this.mark(block, "data");
  }

  private mark(block: number, state: "data" | "zero"): void {
    this.blocks.set(block, state);
    this.dirty = true;
  }

  private async pwrite(data: Buffer, position: number): Promise<void> {
    try {
      await writeFully(this.handle, data, position);
    } catch (err) {
      throw explainIoError(err, this.file, "Free space on the disk that holds the overlay file.");
    }
  }

  /** Runs `task` once every earlier task on the same block has ended (partial writes race otherwise). */
  private async locked(block: number, task: () => Promise<void>): Promise<void> {
    const previous = this.locks.get(block) ?? Promise.resolve();
    const run = previous.then(task, task);
    const tail = run.catch(() => undefined);
    this.locks.set(block, tail);
    void tail.then(() => {
      if (this.locks.get(block) === tail) this.locks.delete(block);
    });
    return run;
  }

  private async persist(): Promise<void> {
    // Cleared before the sync: a write completing during it marks the map dirty again.
    // The map is taken before the sync, so it never names a block whose data was not synced.
    this.dirty = false;
    const map: MapFile = {
      format: FORMAT,
      version: VERSION,
      ...this.identity,
      blockSize: OVERLAY_BLOCK,
      data: this.runs("data"),
      zero: this.runs("zero"),
    };
    try {
      await this.handle.datasync();
      const target = mapPath(this.file);
      const temp = `${target}.tmp`;
      const out = await fs.open(temp, "w");
      try {
        await out.writeFile(JSON.stringify(map) + "\n");
        await out.sync();
      } finally {
        await out.close();
      }
      await fs.rename(temp, target);
      await syncDir(path.dirname(target));
    } catch (err) {
      this.dirty = true;
      throw explainIoError(err, this.file, "Free space on the disk that holds the overlay file.");
    }
  }

  private runs(state: "data" | "zero"): [number, number][] {
    const blocks = [...this.blocks].filter(([, s]) => s === state).map(([b]) => b);
    blocks.sort((a, b) => a - b);
    const out: [number, number][] = [];
    for (const b of blocks) {
      const last = out[out.length - 1];
      if (last && last[0] + last[1] === b) last[1]++;
      else out.push([b, 1]);
    }
    return out;
  }
}

async function syncDir(dir: string): Promise<void> {
  const handle = await fs.open(dir, "r").catch(() => undefined);
  if (!handle) return;
  await handle.sync().catch(() => undefined);
  await handle.close();
}

/** The saved map of FILE, checked against the disk it is laid over; undefined for a new overlay. */
async function readMap(file: string, identity: OverlayIdentity): Promise<MapFile | undefined> {
  let text: string;
  try {
    text = await fs.readFile(mapPath(file), "utf8");
  } catch (err) {
    if (errnoCode(err) !== "ENOENT") throw explainIoError(err, mapPath(file));
    await refuseOrphanData(file);
    return undefined;
  }
  const map = parseMap(text, file);
  if (
    map.restorePoint !== identity.restorePoint ||
    map.disk !== identity.disk ||
    map.size !== identity.size
  ) {
    throw new SnapferryError(
      "usage",
      `overlay ${file} belongs to disk ${map.disk} of restore point ${map.restorePoint.slice(0, 8)}, ` +
        `not to disk ${identity.disk} of restore point ${identity.restorePoint.slice(0, 8)}`,
      "Give the overlay of this disk, or a new file name with --overlay.",
    );
  }
  const stat = await fs.stat(file).catch(() => undefined);
  if (!stat)
    throw new CorruptDataError(`overlay ${file} has a map but its data file is missing`, OVERLAY_HINT);
  return map;
}

const OVERLAY_HINT = "Restore the overlay's two files together, or start again with a new --overlay file.";

async function refuseOrphanData(file: string): Promise<void> {
  const stat = await fs.stat(file).catch(() => undefined);
  // An all-hole file is one we created and crashed before writing its first map: reusable.
  if (stat && stat.size > 0 && stat.blocks > 0) {
    throw new SnapferryError(
      "usage",
      `${file} exists but is not a Snapferry overlay (${mapPath(file)} is missing)`,
      "Give a new file name with --overlay; Snapferry will not overwrite a file it did not create.",
    );
  }
}

function parseMap(text: string, file: string): MapFile {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    throw new CorruptDataError(`overlay map ${mapPath(file)} is not valid JSON`, OVERLAY_HINT);
  }
  const m = value as Partial<MapFile>;
  const runsOk = (r: unknown): boolean =>
    Array.isArray(r) &&
    r.every(
      (x) =>
        Array.isArray(x) && x.length === 2 && x.every((n) => Number.isSafeInteger(n) && (n as number) >= 0),
    );
  if (
    m.format !== FORMAT ||
    m.version !== VERSION ||
    m.blockSize !== OVERLAY_BLOCK ||
    typeof m.restorePoint !== "string" ||
    !Number.isSafeInteger(m.disk) ||
    !Number.isSafeInteger(m.size) ||
    !runsOk(m.data) ||
    !runsOk(m.zero)
  ) {
    throw new CorruptDataError(
      `overlay map ${mapPath(file)} is not a Snapferry overlay map (version ${VERSION})`,
      OVERLAY_HINT,
    );
  }
  const blocks = Math.ceil((m.size ?? 0) / OVERLAY_BLOCK);
  for (const [first, count] of [...(m.data ?? []), ...(m.zero ?? [])]) {
    if (first + count > blocks)
      throw new CorruptDataError(
        `overlay map ${mapPath(file)} names blocks past the disk's end`,
        OVERLAY_HINT,
      );
  }
  return m as MapFile;
}
