/**
 * The second half of verifying a restore point: open each partition's file system the way a
 * file-level restore would (7-Zip over the materialised partition) and list its root folder.
 * A partition whose type says it holds a file system 7-Zip reads, but which cannot be listed, is
 * a failure; swap, LVM and unknown partitions are reported as not checked, not as failures, and
 * so is a disk with no partition table and no file system (a raw data disk).
 *
 * An ext2/3/4 file system is also checked with `e2fsck -n -f` where e2fsck exists, on the
 * materialised copy (never on anything in the repository). A crash-consistent backup of a mounted
 * file system has a journal to replay, as the first mount after a restore would: that is done on
 * the copy first, so only real damage fails the check.
 */
import { execFile } from "node:child_process";
import { open } from "node:fs/promises";
import { promisify } from "node:util";
import { SnapferryError } from "../common/errors.js";
import type { RestorePoint } from "../repository/restore-point.js";
import { FileBrowser, type PartitionInfo } from "./file-restore-service.js";
import type { RepoRef } from "./repository-service.js";

export interface FileSystemVerification {
  partition: number;
  type: string;
  size: number;
  /** Entries in the root folder, or null when it could not be (or was not) listed. */
  rootEntries: number | null;
  /** e2fsck's verdict for ext file systems; null when not run. */
  fsck: { ok: boolean; output: string } | null;
  /** Why the file system is unusable; null when fine or not checked. */
  problem: string | null;
  /** One line for logs: what was checked and what came of it. */
  summary: string;
}

export interface FileSystemCheckOptions extends RepoRef {
  tempDir?: string;
  sevenZipPath?: string;
}

/** Partition types that always carry a file system 7-Zip reads: failing to list one is a failure. */
const READABLE_TYPES = /linux filesystem|microsoft basic data|ntfs|fat|exfat|efi system|linux$/i;

export async function verifyFileSystems(
  options: FileSystemCheckOptions,
  rp: RestorePoint,
  diskIndex: number,
  signal?: AbortSignal,
): Promise<FileSystemVerification[]> {
  const browser = await FileBrowser.open({
    repo: options.repo,
    ...(options.password ? { password: options.password } : {}),
    restorePoint: rp.id,
    disk: diskIndex,
    ...(options.tempDir ? { tempDir: options.tempDir } : {}),
    ...(options.sevenZipPath ? { sevenZipPath: options.sevenZipPath } : {}),
  });
  try {
    const results: FileSystemVerification[] = [];
    for (const partition of browser.partitions()) {
      if (signal?.aborted) throw new SnapferryError("cancelled", "the verification was cancelled");
      results.push(await checkPartition(browser, partition, signal));
      // One partition's copy on disk at a time, whatever the number of partitions.
      await browser.release(partition.number);
    }
    return results;
  } finally {
    await browser.close();
  }
}

async function checkPartition(
  browser: FileBrowser,
  partition: PartitionInfo,
  signal: AbortSignal | undefined,
): Promise<FileSystemVerification> {
  const base = { partition: partition.number, type: partition.type, size: partition.size };
  const name = `partition ${partition.number} (${partition.type})`;
  let entries: number;
  try {
    entries = (await browser.list(`${partition.number}:/`, signal ? { signal } : {})).length;
  } catch (err) {
    if (err instanceof SnapferryError && err.code === "cancelled") throw err;
    const message = err instanceof Error ? err.message : String(err);
    if (partition.scheme !== "none" && READABLE_TYPES.test(partition.type)) {
      return {
        ...base,
        rootEntries: null,
        fsck: null,
        problem: `its file system cannot be read: ${message}`,
        summary: `${name}: FAILED: ${message}`,
      };
    }
    return {
      ...base,
      rootEntries: null,
      fsck: null,
      problem: null,
      summary: `${name}: not checked (${message})`,
    };
  }
  const opened = `${name}: file system opened, ${entries} entries in its root folder`;
  const file = await browser.partitionFile(partition.number, signal ? { signal } : {});
  if (!(await isExt(file)))
    return { ...base, rootEntries: entries, fsck: null, problem: null, summary: opened };
  const fsck = await runE2fsck(file);
  if (fsck === null) {
    return {
      ...base,
      rootEntries: entries,
      fsck: null,
      problem: null,
      summary: `${opened}; e2fsck not found, not run`,
    };
  }
  return {
    ...base,
    rootEntries: entries,
    fsck,
    problem: fsck.ok ? null : `e2fsck found errors: ${lastLines(fsck.output)}`,
    summary: `${opened}; e2fsck -n: ${fsck.ok ? "clean" : `ERRORS: ${lastLines(fsck.output)}`}`,
  };
}

const EXT_MAGIC_OFFSET = 1024 + 56;

async function isExt(file: string): Promise<boolean> {
  const handle = await open(file, "r");
  try {
    const magic = Buffer.alloc(2);
    const { bytesRead } = await handle.read(magic, 0, 2, EXT_MAGIC_OFFSET);
    return bytesRead === 2 && magic.readUInt16LE(0) === 0xef53;
  } finally {
    await handle.close();
  }
}

const run = promisify(execFile);

/** e2fsck's exit code, 0 when clean; null when e2fsck is not installed. */
async function e2fsck(args: string[]): Promise<{ code: number; output: string } | null> {
  try {
    const { stdout, stderr } = await run("e2fsck", args, {
      timeout: 10 * 60_000,
      maxBuffer: 4 * 1024 * 1024,
    });
    return { code: 0, output: `${stdout}${stderr}` };
  } catch (err) {
    if (typeof err === "object" && err !== null && "code" in err) {
      if (err.code === "ENOENT") return null;
      const out = "stdout" in err && "stderr" in err ? `${String(err.stdout)}${String(err.stderr)}` : "";
      if (typeof err.code === "number") return { code: err.code, output: out };
    }
    throw err;
  }
}

async function runE2fsck(file: string): Promise<{ ok: boolean; output: string } | null> {
  // Replays the journal on our copy, as mounting the restored disk would; a clean one is untouched.
  const replay = await e2fsck(["-E", "journal_only", "-y", file]);
  if (replay === null) return null;
  const check = await e2fsck(["-n", "-f", file]);
  if (check === null) return null;
  return { ok: check.code === 0, output: check.output.trim() };
}

/** What e2fsck -n would have fixed: each problem is the line before its declined "…? no". */
function lastLines(output: string): string {
  const lines = output.split("\n").map((l) => l.trim());
  const problems = lines.filter((_, i) => /\? no$/.test(lines[i + 1] ?? "")).filter((l) => l !== "");
  const shown = problems.length > 0 ? problems : lines.filter((l) => /error|corrupt|invalid/i.test(l));
  const text = shown.slice(0, 3).join(" / ") || "see e2fsck's output";
  return problems.length > 3 ? `${text} (and ${problems.length - 3} more)` : text;
}
