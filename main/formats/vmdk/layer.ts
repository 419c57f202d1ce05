/**
 * One VMDK disk file set (a "layer" of a snapshot chain): its descriptor, embedded or separate,
 * and the extents it lists, laid end to end. A delta layer's absent grains are read from its
 * parent through the ParentRead the chain passes in.
 */
import path from "node:path";
import { ImageFormatError } from "../image-error.js";
import { COWD_MAGIC, openCowdExtent } from "./cowd-extent.js";
import { decodeDescriptor, looksLikeDescriptor, parseDescriptor, type VmdkDescriptor } from "./descriptor.js";
import { checkCreateType, extentKind, isSeSparseHeader, seSparseError } from "./disk-types.js";
import { settleAll, type ParentRead, type Run, type VmdkExtent } from "./extent.js";
import type { FilePool, PooledFile } from "./file-pool.js";
import { FlatExtent, ZeroExtent } from "./flat-extent.js";
import { MAX_DESCRIPTOR_BYTES, SECTOR } from "./limits.js";
import { HEADER_BYTES, SPARSE_MAGIC, parseSparseHeader, type SparseHeader } from "./sparse-header.js";
import { openSparseExtent, type ExtentCaches } from "./sparse-extent.js";

export interface LayerContext extends ExtentCaches {
  pool: FilePool;
}

interface Placed {
  start: number;
  extent: VmdkExtent;
}

export class VmdkLayer {
  constructor(
    readonly path: string,
    readonly descriptor: VmdkDescriptor,
    private readonly extents: Placed[],
    readonly virtualSize: number,
    /** Bytes the layer's files take on disk. */
    readonly fileSize: number,
  ) {}

  async *runs(offset: number, length: number): AsyncIterable<Run> {
    const end = offset + length;
    for (let i = this.firstExtentAt(offset); i < this.extents.length; i++) {
      const { start, extent } = this.extents[i] ?? unreachable();
      if (start >= end) return;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + extent.length);
      for await (const run of extent.runs(from - start, to - from)) {
        yield { offset: run.offset + start, length: run.length, kind: run.kind };
      }
    }
  }

  async read(offset: number, target: Buffer, parent: ParentRead): Promise<void> {
    const end = offset + target.length;
    const jobs: Promise<void>[] = [];
    for (let i = this.firstExtentAt(offset); i < this.extents.length; i++) {
      const { start, extent } = this.extents[i] ?? unreachable();
      if (start >= end) break;
      const from = Math.max(offset, start);
      const to = Math.min(end, start + extent.length);
      const slice = target.subarray(from - offset, to - offset);
      jobs.push(extent.read(from - start, slice, (o, t) => parent(o + start, t)));
    }
    await settleAll(jobs);
  }

  /** Index of the extent holding `offset` (binary search: a big disk can have thousands). */
  private firstExtentAt(offset: number): number {
    let lo = 0;
    let hi = this.extents.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      const { start, extent } = this.extents[mid] ?? unreachable();
      if (start + extent.length <= offset) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

function unreachable(): never {
  throw new Error("extent index out of range");
}

export async function openLayer(file: string, ctx: LayerContext): Promise<VmdkLayer> {
  const main = await ctx.pool.get(file);
  const head = Buffer.alloc(Math.min(main.size, 4096));
  await main.read(head, 0, "header");
  const magic = head.toString("latin1", 0, 4);
  let descriptor: VmdkDescriptor;
  let header: SparseHeader | undefined;
  if (magic === SPARSE_MAGIC) {
    header = parseSparseHeader(head, file);
    descriptor = (await embeddedDescriptor(main, header)) ?? impliedDescriptor(file, header);
  } else if (magic === COWD_MAGIC) {
    throw new ImageFormatError(
      file,
      "is the data file of an ESXi snapshot delta (COWD), which cannot be read without its descriptor",
      "Open the descriptor .vmdk that names this file (the same name without -delta).",
    );
  } else if (isSeSparseHeader(head)) {
    throw seSparseError(file);
  } else if (looksLikeDescriptor(head) && main.size <= MAX_DESCRIPTOR_BYTES) {
    const text = Buffer.alloc(main.size);
    await main.read(text, 0, "descriptor");
    descriptor = parseDescriptor(decodeDescriptor(text), file);
  } else {
    throw new ImageFormatError(
      file,
      "is not a VMDK: it has neither a sparse extent header nor a text descriptor",
      "Check that this is the .vmdk descriptor of the disk, not one of its data files.",
    );
  }
  checkCreateType(descriptor.createType, file);

  const files = new Set<PooledFile>([main]);
  const extents: Placed[] = [];
  let start = 0;
  for (const [index, line] of descriptor.extents.entries()) {
    const n = index + 1;
    if (line.access === "NOACCESS") {
      throw new ImageFormatError(file, `extent ${n} is marked NOACCESS, so its data cannot be read`);
    }
    const kind = extentKind(line.type, file, n);
    const sectors = line.sectors;
    let extent: VmdkExtent;
    if (kind === "zero") {
      extent = new ZeroExtent(sectors * SECTOR);
    } else {
      // A sparse file's embedded descriptor names the file itself, under whatever name it was created.
      const self = header !== undefined && descriptor.extents.length === 1;
      const extentFile = self ? main : await extentFileOf(file, line.file ?? "", n, ctx.pool);
      files.add(extentFile);
      if (kind === "flat") {
        extent = FlatExtent.open(extentFile, line.offsetSectors * SECTOR, sectors * SECTOR, file);
      } else {
        extent = await openSparseFile(extentFile, self ? header : undefined, sectors, ctx);
      }
    }
    extents.push({ start, extent });
    start += extent.length;
    if (!Number.isSafeInteger(start)) {
      throw new ImageFormatError(file, "the extents add up to more than any real disk");
    }
  }
  const fileSize = [...files].reduce((sum, f) => sum + f.diskBytes, 0);
  return new VmdkLayer(file, descriptor, extents, start, fileSize);
}

async function embeddedDescriptor(
  main: PooledFile,
  header: SparseHeader,
): Promise<VmdkDescriptor | undefined> {
  if (header.descriptorSector === 0 || header.descriptorSectors === 0) return undefined;
  const position = header.descriptorSector * SECTOR;
  main.check(position, header.descriptorSectors * SECTOR, "the embedded descriptor");
  const buf = Buffer.alloc(header.descriptorSectors * SECTOR);
  await main.read(buf, position, "embedded descriptor");
  return parseDescriptor(decodeDescriptor(buf), main.path);
}

/** A sparse extent opened on its own (no embedded descriptor) is read as a one-extent disk. */
function impliedDescriptor(file: string, header: SparseHeader): VmdkDescriptor {
  return {
    version: 1,
    encoding: "UTF-8",
    cid: undefined,
    parentCid: undefined,
    createType: header.compressed ? "streamOptimized" : "monolithicSparse",
    parentFileNameHint: undefined,
    extents: [
      {
        access: "RW",
        sectors: header.capacitySectors,
        type: "SPARSE",
        file: path.basename(file),
        offsetSectors: 0,
      },
    ],
    ddb: new Map(),
    adapterType: undefined,
    geometry: undefined,
  };
}

async function extentFileOf(
  descriptor: string,
  name: string,
  n: number,
  pool: FilePool,
): Promise<PooledFile> {
  const resolved = path.resolve(path.dirname(descriptor), name);
  try {
    return await pool.get(resolved);
  } catch (err) {
    if (!(err instanceof ImageFormatError)) throw err;
    throw new ImageFormatError(
      descriptor,
      `extent ${n} ("${name}") cannot be used: ${err.message}`,
      "Copy every file of the disk (the descriptor and all its extent files) into one folder.",
    );
  }
}

/** Sparse extents are told apart by magic: descriptors are sometimes edited by hand. */
async function openSparseFile(
  file: PooledFile,
  known: SparseHeader | undefined,
  sectors: number,
  ctx: LayerContext,
): Promise<VmdkExtent> {
  if (known) return openSparseExtent(file, known, sectors, ctx);
  const head = Buffer.alloc(Math.min(file.size, HEADER_BYTES));
  await file.read(head, 0, "extent header");
  const magic = head.toString("latin1", 0, 4);
  if (magic === SPARSE_MAGIC) return openSparseExtent(file, parseSparseHeader(head, file.path), sectors, ctx);
  if (magic === COWD_MAGIC) return openCowdExtent(file, sectors, ctx);
  if (isSeSparseHeader(head)) throw seSparseError(file.path);
  throw new ImageFormatError(
    file.path,
    "is listed as a sparse extent but has neither a hosted sparse (KDMV) nor an ESXi sparse (COWD) header",
  );
}
