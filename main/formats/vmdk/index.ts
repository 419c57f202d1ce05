/**
 * VMDK disks: every hosted and ESXi type a backup meets (monolithic and split, sparse and flat,
 * stream-optimized, vmfs flat, vmfsSparse deltas) and snapshot chains of them. seSparse, vSAN
 * deltas and raw device mappings are refused with a message that says what to do instead.
 */
import path from "node:path";
import { ImageFormatError } from "../image-error.js";
import { openChain } from "./chain.js";
import { FilePool } from "./file-pool.js";
import type { LayerContext } from "./layer.js";
import { LruCache } from "../shared/lru-cache.js";
import { VmdkReader } from "./reader.js";

export { VmdkReader } from "./reader.js";
export type { VmdkDescriptor } from "./descriptor.js";
export { looksLikeVmdk } from "../detect.js";

const MiB = 1024 * 1024;
/** Grain tables of every extent in the chain share this budget (2 KiB per 32 MiB of disk). */
const TABLE_CACHE_BYTES = 16 * MiB;
/** Decompressed stream-optimized grains, for reads that do not start on a grain boundary. */
const GRAIN_CACHE_BYTES = 8 * MiB;
/** Grain directories stay loaded; a 62 TB disk needs 8 MiB of them, whatever its layout. */
const DIRECTORY_BUDGET_BYTES = 128 * MiB;

export async function openVmdk(file: string): Promise<VmdkReader> {
  let nextId = 0;
  let directoryBytes = 0;
  const ctx: LayerContext = {
    pool: new FilePool(),
    tables: new LruCache(TABLE_CACHE_BYTES),
    grains: new LruCache(GRAIN_CACHE_BYTES),
    nextId: () => String(nextId++),
    reserveDirectory: (bytes, owner) => {
      directoryBytes += bytes;
      if (directoryBytes > DIRECTORY_BUDGET_BYTES) {
        throw new ImageFormatError(
          owner,
          `the disk's grain directories need more than ${DIRECTORY_BUDGET_BYTES / MiB} MiB, far more than any real disk`,
        );
      }
    },
  };
  try {
    return new VmdkReader(await openChain(path.resolve(file), ctx), ctx);
  } catch (err) {
    await ctx.pool.closeAll();
    throw err;
  }
}
