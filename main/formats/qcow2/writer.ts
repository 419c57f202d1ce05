/**
 * Writes a qcow2 version 3 image (qemu docs/interop/qcow2.txt) front to back, in one pass:
 *
 *   cluster 0: header | L1 table | data clusters, each L2 table right after the data it maps |
 *   refcount blocks | refcount table
 *
 * Data clusters go out as they come; an L2 table (8192 clusters = 512 MiB of disk) is written
 * when the writes move past its range. All-zero clusters are left unallocated, which reads as
 * zeros since the image has no backing file. Memory: one L2 table and the L1 table (8 bytes per
 * 512 MiB of disk), whatever the disk size.
 */
import type { DiskImageWriter } from "../disk-image.js";
import { ClusterSplitter } from "../cluster-splitter.js";
import { StagedImageFile } from "../staged-file.js";
import { WriteCursor, requireWholeSectors } from "../write-checks.js";
import { REFCOUNT_ORDER, layoutRefcounts, refcountBlock, refcountTable } from "./writer-refcounts.js";

const CLUSTER_BITS = 16;
const CLUSTER_SIZE = 1 << CLUSTER_BITS;
const L2_ENTRIES = CLUSTER_SIZE / 8;
const QCOW2_MAGIC = 0x514649fb;
const HEADER_LENGTH = 104;
/**
 * Bit 63 of L1/L2 entries: the cluster's refcount is exactly 1, so it may be written in place.
 * `qemu-img check` reports an entry without it (for a refcount of 1) as an error.
 */
const COPIED = 1n << 63n;

export class Qcow2Writer implements DiskImageWriter {
  readonly format = "qcow2" as const;
  private readonly cursor: WriteCursor;
  private readonly splitter: ClusterSplitter;
  /** Host offset of each L2 table, 0 where no cluster of its range holds data. */
  private readonly l1: Float64Array;
  private readonly l1Clusters: number;
  private readonly l2 = Buffer.alloc(CLUSTER_SIZE);
  private l2Index = -1;
  private l2InUse = false;
  /** The next free host cluster: the file only ever grows at its end. */
  private nextCluster: number;

  private constructor(
    private readonly file: StagedImageFile,
    private readonly virtualSize: number,
  ) {
    this.cursor = new WriteCursor(virtualSize);
    this.splitter = new ClusterSplitter(CLUSTER_SIZE, (index, data) => this.writeCluster(index, data));
    this.l1 = new Float64Array(Math.ceil(virtualSize / (CLUSTER_SIZE * L2_ENTRIES)));
    // An empty disk has an empty L1 table (no clusters); its offset is still a valid one.
    this.l1Clusters = Math.ceil((this.l1.length * 8) / CLUSTER_SIZE);
    this.nextCluster = 1 + this.l1Clusters;
  }

  static async create(path: string, virtualSize: number): Promise<Qcow2Writer> {
    requireWholeSectors("qcow2", virtualSize);
    return new Qcow2Writer(await StagedImageFile.create(path), virtualSize);
  }

  async write(offset: number, data: Buffer): Promise<void> {
    this.cursor.advance(offset, data.length);
    await this.splitter.write(offset, data);
  }

  async finish(): Promise<void> {
    await this.splitter.flush();
    await this.flushL2();
    const refcounts = layoutRefcounts(this.nextCluster, CLUSTER_SIZE);
    for (let block = 0; block < refcounts.blockCount; block++) {
      const offset = (refcounts.firstBlockCluster + block) * CLUSTER_SIZE;
      await this.file.write(offset, refcountBlock(refcounts, block, CLUSTER_SIZE));
    }
    await this.file.write(refcounts.tableCluster * CLUSTER_SIZE, refcountTable(refcounts, CLUSTER_SIZE));
    if (this.l1Clusters > 0) await this.file.write(CLUSTER_SIZE, this.encodeL1());
    await this.file.write(0, this.encodeHeader(refcounts.tableCluster, refcounts.tableClusters));
    await this.file.commit();
  }

  abort(): Promise<void> {
    return this.file.discard();
  }

  private allocateCluster(): number {
    return this.nextCluster++ * CLUSTER_SIZE;
  }

  private async writeCluster(index: number, data: Buffer): Promise<void> {
    const l2Index = Math.floor(index / L2_ENTRIES);
    if (l2Index !== this.l2Index) {
      await this.flushL2();
      this.l2Index = l2Index;
    }
    const host = this.allocateCluster();
    await this.file.write(host, data);
    this.l2.writeBigUInt64BE(BigInt(host) | COPIED, (index % L2_ENTRIES) * 8);
    this.l2InUse = true;
  }

  private async flushL2(): Promise<void> {
    if (!this.l2InUse) return;
    const host = this.allocateCluster();
    await this.file.write(host, this.l2);
    this.l1[this.l2Index] = host;
    this.l2.fill(0);
    this.l2InUse = false;
  }

  private encodeL1(): Buffer {
    const buf = Buffer.alloc(this.l1Clusters * CLUSTER_SIZE);
    this.l1.forEach((host, i) => {
      if (host !== 0) buf.writeBigUInt64BE(BigInt(host) | COPIED, i * 8);
    });
    return buf;
  }

  /** The version 3 header; the rest of cluster 0 stays zero, which ends the header extensions. */
  private encodeHeader(refcountTableCluster: number, refcountTableClusters: number): Buffer {
    const h = Buffer.alloc(HEADER_LENGTH + 8);
    h.writeUInt32BE(QCOW2_MAGIC, 0);
    h.writeUInt32BE(3, 4);
    // 8: no backing file (offset and size stay 0)
    h.writeUInt32BE(CLUSTER_BITS, 20);
    h.writeBigUInt64BE(BigInt(this.virtualSize), 24);
    // 32: crypt_method 0, not encrypted
    h.writeUInt32BE(this.l1.length, 36);
    h.writeBigUInt64BE(BigInt(CLUSTER_SIZE), 40);
    h.writeBigUInt64BE(BigInt(refcountTableCluster * CLUSTER_SIZE), 48);
    h.writeUInt32BE(refcountTableClusters, 56);
    // 60: no snapshots; 72..95: no incompatible, compatible or autoclear features
    h.writeUInt32BE(REFCOUNT_ORDER, 96);
    h.writeUInt32BE(HEADER_LENGTH, 100);
    // 104: header extension type 0 (end of extensions), length 0
    return h;
  }
}
