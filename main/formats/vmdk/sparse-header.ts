/**
 * The 512-byte header of a hosted sparse extent ("KDMV"): monolithicSparse, twoGbMaxExtentSparse
 * and stream-optimized files start with it, and a stream-optimized file repeats it as a footer.
 */
import { ImageFormatError } from "../image-error.js";
import {
  MAX_CAPACITY_SECTORS,
  MAX_DESCRIPTOR_BYTES,
  MAX_GD_ENTRIES,
  MAX_GRAIN_SECTORS,
  MAX_GTES_PER_GT,
  SECTOR,
  ceilDiv,
  isPowerOfTwo,
  u64,
} from "./limits.js";

export const SPARSE_MAGIC = "KDMV";
export const HEADER_BYTES = 512;

const FLAG_NEWLINE_TEST = 1 << 0;
const FLAG_REDUNDANT_GD = 1 << 1;
const FLAG_ZEROED_GTE = 1 << 2;
const FLAG_COMPRESSED = 1 << 16;
const FLAG_MARKERS = 1 << 17;
const COMPRESSION_DEFLATE = 1;
const GD_AT_END = 0xffffffffffffffffn;

export interface SparseHeader {
  version: number;
  capacitySectors: number;
  grainSectors: number;
  descriptorSector: number;
  descriptorSectors: number;
  gtesPerGt: number;
  /** The redundant grain directory's sector, or undefined when the file keeps no copy. */
  rgdSector: number | undefined;
  /** "at-end": stream-optimized, the real value is in the footer at the end of the file. */
  gdSector: number | "at-end";
  zeroedGte: boolean;
  compressed: boolean;
  markers: boolean;
  /** Grain directory entries the capacity needs. */
  gdEntries: number;
}

export function parseSparseHeader(buf: Buffer, file: string, what = "sparse header"): SparseHeader {
  if (buf.length < HEADER_BYTES) {
    throw new ImageFormatError(file, `the ${what} is truncated (${buf.length} of ${HEADER_BYTES} bytes)`);
  }
  if (buf.toString("latin1", 0, 4) !== SPARSE_MAGIC) {
    throw new ImageFormatError(file, `the ${what} does not start with "${SPARSE_MAGIC}"`);
  }
  const version = buf.readUInt32LE(4);
  if (version < 1 || version > 3) {
    throw new ImageFormatError(file, `sparse extent version ${version} is not supported (known: 1–3)`);
  }
  const flags = buf.readUInt32LE(8);
  if (flags & FLAG_NEWLINE_TEST && buf.toString("latin1", 73, 77) !== "\n \r\n") {
    throw new ImageFormatError(
      file,
      "the header's line-ending check bytes were altered: the file was copied in text (ASCII) mode, which corrupts it",
      "Copy the file again in binary mode.",
    );
  }
  const compressed = (flags & FLAG_COMPRESSED) !== 0;
  const algorithm = buf.readUInt16LE(77);
  if (compressed && algorithm !== COMPRESSION_DEFLATE) {
    throw new ImageFormatError(
      file,
      `grains use compression algorithm ${algorithm}; only deflate (1) is known`,
    );
  }

  const capacitySectors = u64(buf, 12, file, "the capacity");
  if (capacitySectors > MAX_CAPACITY_SECTORS) {
    throw new ImageFormatError(
      file,
      `the capacity (${capacitySectors} sectors) is larger than any real disk`,
    );
  }
  const grainSectors = u64(buf, 20, file, "the grain size");
  if (!isPowerOfTwo(grainSectors) || grainSectors > MAX_GRAIN_SECTORS) {
    throw new ImageFormatError(
      file,
      `the grain size (${grainSectors} sectors) is not a power of two up to ${MAX_GRAIN_SECTORS}`,
    );
  }
  const gtesPerGt = buf.readUInt32LE(44);
  if (gtesPerGt < 1 || gtesPerGt > MAX_GTES_PER_GT) {
    throw new ImageFormatError(file, `grain tables of ${gtesPerGt} entries are not valid (VMware uses 512)`);
  }
  const gdEntries = ceilDiv(capacitySectors, grainSectors * gtesPerGt);
  if (gdEntries > MAX_GD_ENTRIES) {
    throw new ImageFormatError(
      file,
      `the grain directory would need ${gdEntries} entries, more than any real disk`,
    );
  }
  const descriptorSectors = u64(buf, 36, file, "the descriptor size");
  if (descriptorSectors * SECTOR > MAX_DESCRIPTOR_BYTES) {
    throw new ImageFormatError(
      file,
      `the embedded descriptor claims ${descriptorSectors} sectors, far too many`,
    );
  }
  const rgdSector = u64(buf, 48, file, "the redundant grain directory offset");
  const gdRaw = buf.readBigUInt64LE(56);
  return {
    version,
    capacitySectors,
    grainSectors,
    descriptorSector: u64(buf, 28, file, "the descriptor offset"),
    descriptorSectors,
    gtesPerGt,
    rgdSector: (flags & FLAG_REDUNDANT_GD) !== 0 && rgdSector !== 0 ? rgdSector : undefined,
    gdSector: gdRaw === GD_AT_END ? "at-end" : u64(buf, 56, file, "the grain directory offset"),
    zeroedGte: (flags & FLAG_ZEROED_GTE) !== 0,
    compressed,
    markers: (flags & FLAG_MARKERS) !== 0,
    gdEntries,
  };
}
