/**
 * ESXi's vmfsSparse snapshot delta ("-delta.vmdk", magic "COWD"): 32-bit header fields, a grain
 * directory and grain tables of 4096 entries. A grain not in the delta comes from the parent.
 */
import { ImageFormatError } from "../image-error.js";
import type { VmdkExtent } from "./extent.js";
import type { PooledFile } from "./file-pool.js";
import { GrainedExtent } from "./grained-extent.js";
import { GrainTables, readGrainDirectory, type GrainMapShape } from "./grain-tables.js";
import { MAX_GD_ENTRIES, MAX_GRAIN_SECTORS, SECTOR, ceilDiv, isPowerOfTwo } from "./limits.js";
import type { ExtentCaches } from "./sparse-extent.js";

export const COWD_MAGIC = "COWD";
const GTES_PER_GT = 4096;
/** The fields used here; the rest of the 2048-byte header (names, generations) is not needed. */
const USED_HEADER_BYTES = 32;

export async function openCowdExtent(
  file: PooledFile,
  lengthSectors: number,
  caches: ExtentCaches,
): Promise<VmdkExtent> {
  if (file.size < USED_HEADER_BYTES) {
    throw new ImageFormatError(file.path, `the COWD header is truncated (${file.size} bytes)`);
  }
  const head = Buffer.alloc(USED_HEADER_BYTES);
  await file.read(head, 0, "COWD header");
  if (head.toString("latin1", 0, 4) !== COWD_MAGIC) {
    throw new ImageFormatError(file.path, `does not start with "${COWD_MAGIC}"`);
  }
  const version = head.readUInt32LE(4);
  if (version !== 1) {
    throw new ImageFormatError(file.path, `COWD version ${version} is not supported (ESXi writes version 1)`);
  }
  const capacitySectors = head.readUInt32LE(12);
  const grainSectors = head.readUInt32LE(16);
  const gdSector = head.readUInt32LE(20);
  const gdEntries = head.readUInt32LE(24);
  if (!isPowerOfTwo(grainSectors) || grainSectors > MAX_GRAIN_SECTORS) {
    throw new ImageFormatError(file.path, `the grain size (${grainSectors} sectors) is not valid`);
  }
  if (lengthSectors > capacitySectors) {
    throw new ImageFormatError(
      file.path,
      `the descriptor gives this extent ${lengthSectors} sectors, but its header holds only ${capacitySectors}`,
    );
  }
  const grains = ceilDiv(capacitySectors, grainSectors);
  const needed = ceilDiv(grains, GTES_PER_GT);
  if (gdEntries < needed || gdEntries > MAX_GD_ENTRIES) {
    throw new ImageFormatError(
      file.path,
      `the grain directory has ${gdEntries} entries, but ${capacitySectors} sectors need ${needed}`,
    );
  }
  caches.reserveDirectory(gdEntries * 4, file.path);
  const shape: GrainMapShape = { gtesPerGt: GTES_PER_GT, grains, zeroedGte: false };
  const gd = await readGrainDirectory(file, gdSector, gdEntries, shape, "grain directory");
  if (typeof gd === "string") throw new ImageFormatError(file.path, gd);
  return new GrainedExtent({
    file,
    tables: new GrainTables(file, gd, shape, caches.tables, caches.nextId()),
    grainBytes: grainSectors * SECTOR,
    length: lengthSectors * SECTOR,
    zeroedGte: false,
    compressed: undefined,
  });
}
