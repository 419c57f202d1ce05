/**
 * The DiskImageReader over a VMDK chain: what the top layer does not hold comes from its parent,
 * down to the base; past a smaller parent's end, and below the base, the disk reads as zeros.
 */
import type { DiskImageReader, Extent, ImageInfo } from "../disk-image.js";
import type { VmdkDescriptor } from "./descriptor.js";
import type { LayerContext, VmdkLayer } from "./layer.js";

interface Resolved {
  offset: number;
  length: number;
  kind: "data" | "zero";
}

export class VmdkReader implements DiskImageReader {
  readonly info: ImageInfo;
  readonly virtualSize: number;
  private closed = false;

  constructor(
    private readonly layers: VmdkLayer[],
    private readonly ctx: LayerContext,
  ) {
    const top = layers[0];
    if (!top) throw new Error("a VMDK chain has at least one layer");
    this.virtualSize = top.virtualSize;
    this.info = {
      format: "vmdk",
      variant: top.descriptor.createType,
      virtualSize: top.virtualSize,
      chain: layers.map((l) => ({
        path: l.path,
        format: "vmdk",
        variant: l.descriptor.createType,
        virtualSize: l.virtualSize,
        fileSize: l.fileSize,
      })),
    };
  }

  /** Every layer's descriptor, top first (adapter type, geometry, CIDs for `inspect`). */
  get descriptors(): VmdkDescriptor[] {
    return this.layers.map((l) => l.descriptor);
  }

  async *allocation(): AsyncIterable<Extent> {
    this.checkOpen();
    let pending: Extent | undefined;
    for await (const run of this.resolve(0, 0, this.virtualSize)) {
      if (run.length === 0) continue;
      if (pending?.kind === run.kind && pending.offset + pending.length === run.offset) {
        pending.length += run.length;
      } else {
        if (pending) yield pending;
        pending = { ...run };
      }
    }
    if (pending) yield pending;
  }

  async read(offset: number, target: Buffer): Promise<void> {
    this.checkOpen();
    if (!Number.isSafeInteger(offset) || offset < 0 || offset + target.length > this.virtualSize) {
      throw new RangeError(
        `read of ${target.length} bytes at ${offset} is outside the disk (${this.virtualSize} bytes)`,
      );
    }
    await this.readAt(0, offset, target);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.ctx.tables.clear();
    this.ctx.grains.clear();
    await this.ctx.pool.closeAll();
  }

  private checkOpen(): void {
    if (this.closed) throw new Error(`${this.info.chain[0]?.path ?? "VMDK"}: the image was closed`);
  }

  private async *resolve(level: number, offset: number, length: number): AsyncIterable<Resolved> {
    const layer = this.layers[level];
    if (!layer) {
      yield { offset, length, kind: "zero" };
      return;
    }
    const inside = Math.max(0, Math.min(length, layer.virtualSize - offset));
    if (inside > 0) {
      for await (const run of layer.runs(offset, inside)) {
        if (run.kind === "parent") yield* this.resolve(level + 1, run.offset, run.length);
        else yield { offset: run.offset, length: run.length, kind: run.kind };
      }
    }
    if (inside < length) yield { offset: offset + inside, length: length - inside, kind: "zero" };
  }

  private async readAt(level: number, offset: number, target: Buffer): Promise<void> {
    const layer = this.layers[level];
    if (!layer) {
      target.fill(0);
      return;
    }
    const inside = Math.max(0, Math.min(target.length, layer.virtualSize - offset));
    target.fill(0, inside);
    if (inside === 0) return;
    await layer.read(offset, target.subarray(0, inside), (o, t) => this.readAt(level + 1, o, t));
  }
}
