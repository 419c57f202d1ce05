/**
 * FileBrowser: one open disk of a restore point, its partitions, and the files 7-Zip finds in
 * them. A partition is materialised (one sparse temp file) the first time it is browsed and kept
 * until close, so browsing then extracting reads the repository once. The repository's shared
 * lock is held while the browser is open, so prune cannot remove what we read.
 */
import { mkdir, mkdtemp, rm, stat } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { SnapferryError, UsageError, explainIoError } from "../common/errors.js";
import { openStoredDisk, type OpenedStoredDisk } from "../services/stored-disk-service.js";
import type { RepoRef } from "../services/repository-service.js";
import { looksLikeExfat } from "./exfat/boot-sector.js";
import { extractExfat, listExfat } from "./exfat/exfat-extract.js";
import { extractSelection, type ExtractResult, type Selection } from "./file-extract.js";
import { parseDiskPath, pickPartition, showPath } from "./file-paths.js";
import { FileTree, type FileEntry } from "./file-tree.js";
import { materialisePartition } from "./partition-file.js";
import { readPartitionTable, type PartitionInfo, type PartitionTable } from "./partition-table.js";
import { createArchive, findSevenZip, listArchive } from "./seven-zip.js";

export type { FileEntry } from "./file-tree.js";
export type { PartitionInfo } from "./partition-table.js";
export type { ExtractResult } from "./file-extract.js";

export interface FileBrowseRequest extends RepoRef {
  restorePoint: string;
  disk?: number;
  /** Folder for the materialised partition files; os.tmpdir() when absent. */
  tempDir?: string;
  /** 7-Zip binary; found on PATH (7zz, 7z) when absent. */
  sevenZipPath?: string;
}

export interface FileProgress {
  bytesDone: number;
  bytesTotal: number;
  phase: "materialise" | "extract" | "archive";
}

export interface FileOpOptions {
  onProgress?: (p: FileProgress) => void;
  signal?: AbortSignal;
}

export interface ArchiveOptions extends FileOpOptions {
  /** From the file's extension when absent (.7z, otherwise zip). */
  format?: "zip" | "7z";
}

/** Partition types that never hold a file system 7-Zip reads; skipped when guessing the root. */
const NOT_FILES = /swap|LVM|RAID|reserved|BIOS boot|LUKS|LDM metadata/i;

export class FileBrowser {
  readonly restorePointId: string;
  readonly diskIndex: number;
  private readonly files = new Map<number, Promise<string>>();
  private readonly trees = new Map<number, Promise<FileTree>>();
  /** Partitions holding exFAT, which our own reader lists and extracts (7-Zip cannot). */
  private readonly exfat = new Set<number>();
  private closed = false;

  private constructor(
    private readonly opened: OpenedStoredDisk,
    private readonly table: PartitionTable,
    private readonly bin: string,
    private readonly tempDir: string,
  ) {
    this.restorePointId = opened.restorePoint.id;
    this.diskIndex = opened.record.index;
  }

  static async open(request: FileBrowseRequest): Promise<FileBrowser> {
    const bin = await findSevenZip(request.sevenZipPath);
    const parent = request.tempDir ?? os.tmpdir();
    const opened = await openStoredDisk({ ...request, operation: "file restore" });
    try {
      const { disk } = opened;
      const table = await readPartitionTable((o, l) => disk.read(o, l), disk.size, disk.label);
      let tempDir: string;
      try {
        await mkdir(parent, { recursive: true });
        tempDir = await mkdtemp(path.join(parent, "snapferry-flr-"));
      } catch (err) {
        throw explainIoError(err, parent);
      }
      return new FileBrowser(opened, table, bin, tempDir);
    } catch (err) {
      await opened.close();
      throw err;
    }
  }

  partitions(): PartitionInfo[] {
    return this.table.partitions.map((p) => ({ ...p }));
  }

  /** The folder holding the materialised partitions (deleted on close). */
  get tempFolder(): string {
    return this.tempDir;
  }

  async list(p: string, options: FileOpOptions = {}): Promise<FileEntry[]> {
    const parsed = parseDiskPath(p);
    const parts = this.table.partitions;
    if (parsed.partition === undefined && parsed.path === "/" && parts.length > 1) {
      return (await this.firstReadable(options)).list("/");
    }
    const partition = pickPartition(parsed.partition, parts, parsed.path === "/" ? "/" : parsed.path);
    const tree = await this.tree(partition, options);
    const entry = this.entry(tree, partition, parsed.path);
    return entry.type === "dir" ? tree.list(entry.path) : [entry];
  }

  async search(partition: number, query: string, limit = 500): Promise<FileEntry[]> {
    const tree = await this.tree(pickPartition(partition, this.table.partitions));
    return tree.search(query, limit);
  }

  async extract(paths: string[], target: string, options: FileOpOptions = {}): Promise<ExtractResult> {
    const selections = await this.select(paths, options);
    return extractSelection(this.bin, selections, path.resolve(target), "extract", options);
  }

  async archive(paths: string[], file: string, options: ArchiveOptions = {}): Promise<ExtractResult> {
    const archive = path.resolve(file);
    const format = options.format ?? (archive.toLowerCase().endsWith(".7z") ? "7z" : "zip");
    if (await exists(archive)) {
      throw new SnapferryError(
        "target",
        `${archive} already exists`,
        "Choose a new file name or remove it first.",
      );
    }
    const selections = await this.select(paths, options);
    const staging = await mkdtemp(path.join(this.tempDir, "archive-"));
    try {
      const result = await extractSelection(this.bin, selections, staging, "archive", options);
      const names = selections.map((s) => s.name);
      const total = result.bytes;
      await createArchive(
        this.bin,
        archive,
        staging,
        names,
        format,
        (percent) =>
          options.onProgress?.({ phase: "archive", bytesDone: (total * percent) / 100, bytesTotal: total }),
        options.signal,
      );
      return { ...result, target: archive };
    } catch (err) {
      await rm(archive, { force: true });
      throw err;
    } finally {
      await rm(staging, { recursive: true, force: true });
    }
  }

  /**
   * The partition as a sparse file (materialised now if need be), for tools that check a file
   * system on their own (verification runs e2fsck on it). It lives until `release` or `close`.
   */
  async partitionFile(number: number, options: FileOpOptions = {}): Promise<string> {
    return this.materialised(pickPartition(number, this.table.partitions), options);
  }

  /** Deletes one partition's file and listing, so a pass over every partition holds one at a time. */
  async release(number: number): Promise<void> {
    const file = this.files.get(number);
    this.files.delete(number);
    this.trees.delete(number);
    const settled = await file?.then(
      (f) => f,
      () => undefined,
    );
    if (settled) await rm(settled, { force: true });
  }

  /** Bytes actually allocated on disk by the materialised partitions (sparse files count less). */
  async tempBytes(): Promise<number> {
    let total = 0;
    for (const pending of this.files.values()) {
      try {
        const st = await stat(await pending);
        // Windows reports no block count; there the file's length is the honest upper bound.
        total += st.blocks > 0 || process.platform !== "win32" ? st.blocks * 512 : st.size;
      } catch {
        // A partition still being written, or one that failed, holds no settled space to count.
      }
    }
    return total;
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.files.values()]);
    try {
      await rm(this.tempDir, { recursive: true, force: true });
    } finally {
      await this.opened.close();
    }
  }

  private entry(tree: FileTree, partition: PartitionInfo, p: string): FileEntry {
    const entry = tree.get(p);
    if (!entry) {
      const shown = showPath(partition, p, this.table.partitions.length);
      throw new SnapferryError(
        "not-found",
        `"${shown}" does not exist in ${this.opened.disk.label}`,
        "List the folder above it (snapferry files ls) to see what is there.",
      );
    }
    return entry;
  }

  private async select(paths: string[], options: FileOpOptions): Promise<Selection[]> {
    if (paths.length === 0)
      throw new UsageError("no paths to extract", 'Give at least one path, like "2:/etc/hosts".');
    const out: Selection[] = [];
    for (const p of paths) {
      const parsed = parseDiskPath(p);
      const partition = pickPartition(parsed.partition, this.table.partitions, parsed.path);
      const tree = await this.tree(partition, options);
      const entry = this.entry(tree, partition, parsed.path);
      const name = entry.path === "/" ? `partition-${partition.number}` : entry.name;
      if (out.some((s) => s.name === name)) {
        throw new UsageError(`two selected items are both named "${name}"`, "Extract them one at a time.");
      }
      out.push({
        file: await this.materialised(partition, options),
        entry,
        name,
        items: [...tree.within(entry.path)],
        ...(this.exfat.has(partition.number) ? { extractor: extractExfat } : {}),
      });
    }
    return out;
  }

  private async firstReadable(options: FileOpOptions): Promise<FileTree> {
    for (const partition of this.table.partitions) {
      if (NOT_FILES.test(partition.type)) continue;
      try {
        return await this.tree(partition, options);
      } catch (err) {
        if (!(err instanceof SnapferryError) || err.code !== "image-format") throw err;
      }
    }
    throw new SnapferryError(
      "image-format",
      `none of the partitions of ${this.opened.disk.label} holds a file system Snapferry can read`,
      "7-Zip reads NTFS, FAT, ext2/3/4, HFS+, APFS and more, but not LVM, XFS, btrfs or encrypted volumes; restore the whole disk instead.",
    );
  }

  private tree(partition: PartitionInfo, options: FileOpOptions = {}): Promise<FileTree> {
    return this.cached(this.trees, partition.number, async () => {
      const head = await this.opened.disk.read(partition.start, Math.min(512, partition.size));
      if (looksLikeExfat(head)) {
        this.exfat.add(partition.number);
        return new FileTree(await listExfat(await this.materialised(partition, options), options.signal));
      }
      // Fail before copying what could be hundreds of GiB when there is clearly nothing to read.
      const entries = (await this.worthReading(partition))
        ? await listArchive(this.bin, await this.materialised(partition, options), options.signal)
        : null;
      if (entries === null) {
        const what =
          partition.scheme === "none"
            ? `${this.opened.disk.label} has no partition table and no file system 7-Zip can read`
            : `7-Zip cannot read the file system in partition ${partition.number} (${partition.type}) of ${this.opened.disk.label}`;
        throw new SnapferryError(
          "image-format",
          what,
          "7-Zip reads NTFS, FAT, ext2/3/4, HFS+, APFS and more, but not LVM, XFS, btrfs or encrypted volumes; restore the whole disk instead.",
        );
      }
      return new FileTree(entries);
    });
  }

  /**
   * False for partition types that never hold a file system 7-Zip reads, and for partitions whose
   * first 64 KiB are all zeros: every file system 7-Zip reads has its superblock in there.
   */
  private async worthReading(partition: PartitionInfo): Promise<boolean> {
    if (NOT_FILES.test(partition.type)) return false;
    const head = await this.opened.disk.read(partition.start, Math.min(64 * 1024, partition.size));
    return head.some((byte) => byte !== 0);
  }

  private materialised(partition: PartitionInfo, options: FileOpOptions): Promise<string> {
    return this.cached(this.files, partition.number, async () => {
      const file = path.join(this.tempDir, `partition-${partition.number}.img`);
      try {
        await materialisePartition(this.opened.disk, partition, file, {
          onProgress: (done, total) =>
            options.onProgress?.({ phase: "materialise", bytesDone: done, bytesTotal: total }),
          ...(options.signal ? { signal: options.signal } : {}),
        });
      } catch (err) {
        await rm(file, { force: true });
        throw err;
      }
      return file;
    });
  }

  /** A promise cache that forgets failures, so a cancelled or failed step can be tried again. */
  private cached<T>(map: Map<number, Promise<T>>, key: number, make: () => Promise<T>): Promise<T> {
    if (this.closed) return Promise.reject(new SnapferryError("internal", "the file browser is closed"));
    let pending = map.get(key);
    if (!pending) {
      pending = make();
      map.set(key, pending);
      pending.catch(() => map.delete(key));
    }
    return pending;
  }
}

async function exists(p: string): Promise<boolean> {
  try {
    await stat(p);
    return true;
  } catch {
    return false;
  }
}
