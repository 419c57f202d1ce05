/**
 * The device an instant recovery serves: the restore point's disk as stored in the repository,
 * with the copy-on-write overlay laid over it. Reads merge the two; writes only reach the overlay.
 */
import type { StoredDisk } from "../engines/stored-disk.js";
import { OVERLAY_BLOCK, type Overlay } from "./overlay.js";
import { STATE_HOLE, STATE_ZERO } from "./protocol.js";

/**
 * Where the bytes of a run come from: "base" (stored data), "hole" (nothing stored: zeros),
 * "data" (written into the overlay) or "zero" (zeroed or trimmed through the overlay).
 */
export interface Segment {
  offset: number;
  length: number;
  kind: "base" | "hole" | "data" | "zero";
}

/** A piece of a read: bytes, or (no `data`) a run that reads as zeros. */
export interface Piece {
  offset: number;
  length: number;
  data?: Buffer;
}

/** NO_HOLE zeroing is written in pieces of this size, so memory stays bounded. */
const ZERO_PIECE = 1024 * 1024;

export class NbdExport {
  constructor(
    readonly disk: StoredDisk,
    readonly overlay: Overlay,
  ) {}

  get size(): number {
    return this.disk.size;
  }

  /** The runs of `[offset, offset + length)` by where their bytes come from, merged. */
  async segments(offset: number, length: number): Promise<Segment[]> {
    const out: Segment[] = [];
    const push = (s: Segment): void => {
      const last = out[out.length - 1];
      if (last && last.kind === s.kind && last.offset + last.length === s.offset) last.length += s.length;
      else if (s.length > 0) out.push(s);
    };
    const end = offset + length;
    let baseStart = -1;
    const flushBase = async (upTo: number): Promise<void> => {
      if (baseStart < 0) return;
      for (const e of await this.disk.extents(baseStart, upTo - baseStart)) {
        push({ offset: e.offset, length: e.length, kind: e.data ? "base" : "hole" });
      }
      baseStart = -1;
    };
    for (let at = offset; at < end;) {
      const block = Math.floor(at / OVERLAY_BLOCK);
      const next = Math.min(end, (block + 1) * OVERLAY_BLOCK);
      const state = this.overlay.state(block);
      if (state === "base") {
        if (baseStart < 0) baseStart = at;
      } else {
        await flushBase(at);
        push({ offset: at, length: next - at, kind: state });
      }
      at = next;
    }
    await flushBase(end);
    return out;
  }

  /** The range as pieces: data where something is stored or written, zero runs elsewhere. */
  async read(offset: number, length: number): Promise<Piece[]> {
    const segments = await this.segments(offset, length);
    return Promise.all(
      segments.map(async (s): Promise<Piece> => {
        if (s.kind === "base") return { ...place(s), data: await this.disk.read(s.offset, s.length) };
        if (s.kind === "data") return { ...place(s), data: await this.overlay.readData(s.offset, s.length) };
        return place(s);
      }),
    );
  }

  /** The range as one buffer. */
  async readBytes(offset: number, length: number): Promise<Buffer> {
    const out = Buffer.alloc(length);
    for (const p of await this.read(offset, length)) p.data?.copy(out, p.offset - offset);
    return out;
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.overlay.write(offset, data, (o, l) => this.readBytes(o, l));
  }

  /** Zeros the range; with `noHole` they are written as data, not marked as a zeroed run. */
  async writeZeroes(offset: number, length: number, noHole = false): Promise<void> {
    if (!noHole) return this.overlay.write(offset, length, (o, l) => this.readBytes(o, l));
    const zeros = Buffer.alloc(Math.min(length, ZERO_PIECE));
    for (let at = offset; at < offset + length; at += zeros.length) {
      await this.write(at, zeros.subarray(0, Math.min(zeros.length, offset + length - at)));
    }
  }

  /**
   * Discards the blocks the range covers whole (they read as zeros afterwards, which the
   * protocol allows); partial blocks at its ends keep their data, as TRIM is only advice.
   */
  async trim(offset: number, length: number): Promise<void> {
    const first = Math.ceil(offset / OVERLAY_BLOCK) * OVERLAY_BLOCK;
    const endAligned =
      offset + length === this.size
        ? this.size
        : Math.floor((offset + length) / OVERLAY_BLOCK) * OVERLAY_BLOCK;
    if (endAligned > first) await this.writeZeroes(first, endAligned - first);
  }

  flush(): Promise<void> {
    return this.overlay.flush();
  }

  /** base:allocation extents: flags 0 for data, HOLE|ZERO for runs that read as zeros. */
  async blockStatus(offset: number, length: number): Promise<{ length: number; flags: number }[]> {
    const out: { length: number; flags: number }[] = [];
    for (const s of await this.segments(offset, length)) {
      const flags = s.kind === "hole" || s.kind === "zero" ? STATE_HOLE | STATE_ZERO : 0;
      const last = out[out.length - 1];
      if (last && last.flags === flags) last.length += s.length;
      else out.push({ length: s.length, flags });
    }
    return out;
  }
}

function place(s: Segment): Piece {
  return { offset: s.offset, length: s.length };
}
