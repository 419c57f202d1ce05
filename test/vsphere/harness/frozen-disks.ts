/**
 * What vcsim does not keep: per VM disk, a tracking instance and the block hashes of every snapshot
 * generation; per live snapshot, a frozen copy of each base disk. A snapshot's removal deletes its
 * copies but keeps the hashes, which later incrementals diff against.
 */
import { mkdirSync, rmSync, statSync } from "node:fs";
import { rm } from "node:fs/promises";
import path from "node:path";
import { freezeCopy, type BlockHashes } from "./block-copy.js";
import { formatChangeId, newTrackingInstance } from "./change-id.js";

/** A VM disk as the proxy found it when the snapshot was taken. */
export interface DiskSource {
  deviceKey: number;
  /** The descriptor's datastore path, as in the backing's fileName: "[LocalDS_0] VM/disk1.vmdk". */
  fileName: string;
  /** The flat extent's datastore path: "[LocalDS_0] VM/disk1-flat.vmdk". */
  flatPath: string;
  /** The flat extent on the local disk (vcsim's datastore folder). */
  livePath: string;
  capacityBytes: number;
}

export interface DiskGeneration {
  instance: string;
  generation: number;
  blocks: BlockHashes;
}

export interface FrozenDisk {
  source: DiskSource;
  generation: DiskGeneration;
  /** Undefined once the snapshot is removed. */
  frozenPath: string | undefined;
  frozenAt: Date;
}

export interface SnapshotRecord {
  snapshot: string;
  vm: string;
  /** Whether the VM had CBT on when the snapshot was taken (only checked when the proxy models it). */
  tracked: boolean;
  disks: FrozenDisk[];
}

interface DiskHistory {
  instance: string;
  /** The generation each tracking instance began at: its changeId then means "since tracking began". */
  instanceStarts: Map<string, number>;
  lastGeneration: number;
  lastCapacity: number | undefined;
  generations: Map<number, DiskGeneration>;
}

export class FrozenDiskStore {
  private readonly histories = new Map<string, DiskHistory>();
  private readonly snapshots = new Map<string, SnapshotRecord>();
  private copies = 0;

  constructor(private readonly dir: string) {
    mkdirSync(dir, { recursive: true });
  }

  private history(vm: string, fileName: string): DiskHistory {
    const key = `${vm}\n${fileName}`;
    let found = this.histories.get(key);
    if (!found) {
      const instance = newTrackingInstance();
      found = {
        instance,
        instanceStarts: new Map([[instance, 0]]),
        lastGeneration: 0,
        lastCapacity: undefined,
        generations: new Map(),
      };
      this.histories.set(key, found);
    }
    return found;
  }

  /** The VM's running disk reports the newest generation's id: changes since then are still to come. */
  currentChangeId(vm: string, fileName: string): string {
    const history = this.history(vm, fileName);
    return formatChangeId({ instance: history.instance, sequence: history.lastGeneration });
  }

  snapshotChangeId(snapshot: string, fileName: string): string | undefined {
    const record = this.snapshots.get(snapshot);
    if (!record?.tracked) return undefined;
    const disk = record.disks.find((d) => d.source.fileName === fileName);
    if (!disk) return undefined;
    return formatChangeId({ instance: disk.generation.instance, sequence: disk.generation.generation });
  }

  /**
   * What a changeId diffs against for a snapshot's disk: a known generation's blocks, "allocated" for
   * the moment its tracking instance began (everything counts as changed: false positives are
   * allowed, misses are not), or undefined when ESXi would refuse it (foreign, reset or future).
   */
  changesSince(
    vm: string,
    target: FrozenDisk,
    since: { instance: string; sequence: number },
  ): BlockHashes | "allocated" | undefined {
    const history = this.histories.get(`${vm}\n${target.source.fileName}`);
    if (!history || since.instance !== target.generation.instance) return undefined;
    if (since.sequence > target.generation.generation) return undefined;
    const known = history.generations.get(since.sequence);
    if (known?.instance === since.instance) return known.blocks;
    return history.instanceStarts.get(since.instance) === since.sequence ? "allocated" : undefined;
  }

  async freeze(snapshot: string, vm: string, sources: DiskSource[], tracked = true): Promise<SnapshotRecord> {
    const record: SnapshotRecord = { snapshot, vm, tracked, disks: [] };
    for (const source of sources) {
      const history = this.history(vm, source.fileName);
      // ESXi resets tracking when a disk is resized: earlier changeIds stop being accepted.
      if (history.lastCapacity !== undefined && history.lastCapacity !== source.capacityBytes) {
        restartTracking(history);
      }
      history.lastCapacity = source.capacityBytes;
      const liveSize = sizeOf(source.livePath);
      const frozenPath = path.join(this.dir, `${++this.copies}-${path.basename(source.livePath)}`);
      const blocks = await freezeCopy(source.livePath, frozenPath, Math.max(source.capacityBytes, liveSize));
      const generation: DiskGeneration = {
        instance: history.instance,
        generation: ++history.lastGeneration,
        blocks,
      };
      history.generations.set(generation.generation, generation);
      record.disks.push({ source, generation, frozenPath, frozenAt: new Date() });
    }
    this.snapshots.set(snapshot, record);
    return record;
  }

  snapshot(snapshot: string): SnapshotRecord | undefined {
    return this.snapshots.get(snapshot);
  }

  snapshotsOf(vm: string): SnapshotRecord[] {
    return [...this.snapshots.values()].filter((s) => s.vm === vm);
  }

  /** The newest live snapshot's frozen copy of a flat extent, by its datastore path. */
  frozenFile(flatPath: string): FrozenDisk | undefined {
    let newest: FrozenDisk | undefined;
    for (const record of this.snapshots.values()) {
      for (const disk of record.disks) {
        if (disk.source.flatPath !== flatPath || disk.frozenPath === undefined) continue;
        if (!newest || disk.generation.generation > newest.generation.generation) newest = disk;
      }
    }
    return newest;
  }

  async drop(snapshot: string): Promise<void> {
    const record = this.snapshots.get(snapshot);
    if (!record) return;
    this.snapshots.delete(snapshot);
    for (const disk of record.disks) {
      const frozen = disk.frozenPath;
      disk.frozenPath = undefined;
      if (frozen) await rm(frozen, { force: true });
    }
  }

  /**
   * After a /folder upload over a base disk: reads must return what was written, as they would on
   * ESXi, so the frozen copies of that file stop being served. Their hashes stay for diffs.
   */
  async supersede(flatPath: string): Promise<void> {
    for (const record of this.snapshots.values()) {
      for (const disk of record.disks) {
        if (disk.source.flatPath !== flatPath || !disk.frozenPath) continue;
        const frozen = disk.frozenPath;
        disk.frozenPath = undefined;
        await rm(frozen, { force: true });
      }
    }
  }

  /** Like ESXi after CBT is switched off and on: every earlier changeId of the VM is refused. */
  resetTracking(vm: string): void {
    for (const [key, history] of this.histories) {
      if (key.startsWith(`${vm}\n`)) restartTracking(history);
    }
  }

  dispose(): void {
    this.snapshots.clear();
    rmSync(this.dir, { recursive: true, force: true });
  }
}

function restartTracking(history: DiskHistory): void {
  history.instance = newTrackingInstance();
  history.instanceStarts.set(history.instance, history.lastGeneration);
}

function sizeOf(file: string): number {
  try {
    return statSync(file).size;
  } catch {
    return 0;
  }
}
