/**
 * The refcount structures of a qcow2 image written front to back. Every host cluster the writer
 * allocates is used exactly once (header, L1, data, L2, and these structures themselves), so all
 * clusters up to the end of the file have a refcount of 1 and the tables can be generated at
 * finish, one block at a time, without having tracked anything but the cluster count.
 */

/** refcount_order 4: 16-bit refcounts, qemu's default. */
export const REFCOUNT_ORDER = 4;
const REFCOUNT_BYTES = 2;

export interface RefcountLayout {
  /** First cluster of the refcount blocks, which are followed by the refcount table. */
  firstBlockCluster: number;
  blockCount: number;
  tableCluster: number;
  tableClusters: number;
  /** Clusters in the finished file. */
  totalClusters: number;
}

/**
 * Places the refcount blocks and table after the `usedClusters` already written. They must
 * count themselves too, hence the fixed point (reached within two or three rounds).
 */
export function layoutRefcounts(usedClusters: number, clusterSize: number): RefcountLayout {
  const perBlock = clusterSize / REFCOUNT_BYTES;
  let blockCount = 0;
  let tableClusters = 0;
  for (;;) {
    const total = usedClusters + blockCount + tableClusters;
    const blocks = Math.ceil(total / perBlock);
    const table = Math.ceil((blocks * 8) / clusterSize);
    if (blocks === blockCount && table === tableClusters) break;
    blockCount = blocks;
    tableClusters = table;
  }
  return {
    firstBlockCluster: usedClusters,
    blockCount,
    tableCluster: usedClusters + blockCount,
    tableClusters,
    totalClusters: usedClusters + blockCount + tableClusters,
  };
}

/** Refcount block `block`: a refcount of 1 for each cluster it covers that lies inside the file. */
export function refcountBlock(layout: RefcountLayout, block: number, clusterSize: number): Buffer {
  const perBlock = clusterSize / REFCOUNT_BYTES;
  const counted = Math.min(perBlock, layout.totalClusters - block * perBlock);
  const buf = Buffer.alloc(clusterSize);
  for (let i = 0; i < counted; i++) buf.writeUInt16BE(1, i * REFCOUNT_BYTES);
  return buf;
}

/** The refcount table: the host offset of each refcount block, in whole clusters. */
export function refcountTable(layout: RefcountLayout, clusterSize: number): Buffer {
  const buf = Buffer.alloc(layout.tableClusters * clusterSize);
  for (let i = 0; i < layout.blockCount; i++) {
    buf.writeBigUInt64BE(BigInt((layout.firstBlockCluster + i) * clusterSize), i * 8);
  }
  return buf;
}
