/**
 * Opens a hosted sparse extent (monolithicSparse, twoGbMaxExtentSparse, streamOptimized): finds a
 * usable grain directory (the footer's for a stream, the redundant copy when the primary is
 * damaged) and returns an extent that reads through it.
 */
import { ImageFormatError } from "../image-error.js";
import type { VmdkExtent } from "./extent.js";
import type { PooledFile } from "./file-pool.js";
import { GrainedExtent } from "./grained-extent.js";
import { GrainTables, readGrainDirectory, type GrainMapShape } from "./grain-tables.js";
import { SECTOR, ceilDiv } from "./limits.js";
import type { LruCache } from "../shared/lru-cache.js";
import type { SparseHeader } from "./sparse-header.js";
import { StreamGrains, readFooter } from "./stream-optimized.js";

/** Caches shared by every extent of a chain, so the memory bound holds for the whole disk. */
export interface ExtentCaches {
  tables: LruCache<string, Uint32Array>;
  grains: LruCache<string, Buffer>;
  nextId(): string;
  /**
   * Accounts for a grain directory about to be loaded; throws when the chain's directories would
   * pass their memory budget (a descriptor can list one huge sparse file thousands of times).
   */
  reserveDirectory(bytes: number, file: string): void;
}

export async function openSparseExtent(
  file: PooledFile,
  header: SparseHeader,
  lengthSectors: number,
  caches: ExtentCaches,
): Promise<VmdkExtent> {
  const h = header.gdSector === "at-end" ? await readFooter(file) : header;
  if (h.gdSector === "at-end") throw new Error("unreachable: readFooter resolves the directory offset");
  if (lengthSectors > h.capacitySectors) {
    throw new ImageFormatError(
      file.path,
      `the descriptor gives this extent ${lengthSectors} sectors, but its header holds only ${h.capacitySectors}`,
    );
  }
  const shape: GrainMapShape = {
    gtesPerGt: h.gtesPerGt,
    grains: ceilDiv(h.capacitySectors, h.grainSectors),
    zeroedGte: h.zeroedGte,
  };
  caches.reserveDirectory(h.gdEntries * 4, file.path);
  const gd = await chooseDirectory(file, h, h.gdSector, shape);
  const id = caches.nextId();
  return new GrainedExtent({
    file,
    tables: new GrainTables(file, gd, shape, caches.tables, id),
    grainBytes: h.grainSectors * SECTOR,
    length: lengthSectors * SECTOR,
    zeroedGte: h.zeroedGte,
    compressed: h.compressed ? new StreamGrains(file, h.grainSectors, caches.grains, id) : undefined,
  });
}

function isEmpty(gd: Uint32Array): boolean {
  return gd.every((entry) => entry === 0);
}

/**
 * The primary directory, unless it is damaged (points outside the file, or was zeroed while the
 * redundant copy still maps tables: both are written together, so that can only be damage).
 */
async function chooseDirectory(
  file: PooledFile,
  h: SparseHeader,
  gdSector: number,
  shape: GrainMapShape,
): Promise<Uint32Array> {
  const primary = await readGrainDirectory(file, gdSector, h.gdEntries, shape, "grain directory");
  const primaryOk = typeof primary !== "string";
  if (primaryOk && !isEmpty(primary)) return primary;
  if (h.rgdSector === undefined) {
    if (!primaryOk) throw new ImageFormatError(file.path, primary);
    return primary;
  }
  const redundant = await readGrainDirectory(
    file,
    h.rgdSector,
    h.gdEntries,
    shape,
    "redundant grain directory",
  );
  if (typeof redundant !== "string") return !primaryOk || !isEmpty(redundant) ? redundant : primary;
  if (primaryOk) return primary;
  throw new ImageFormatError(file.path, `${primary}, and ${redundant}`);
}
