/**
 * Helpers for integration tests that look at (and damage) the files of a real repository: where a
 * chunk is stored, flipping bytes, listing files, and running CLI commands whose JSON they parse.
 * They only find things; every outcome a test asserts comes from the real CLI.
 */
import assert from "node:assert/strict";
import {
  closeSync,
  openSync,
  readFileSync,
  readSync,
  readdirSync,
  statSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { SeededBytes } from "../../main/demo/disk-image.js";
import type { BlobLocation } from "../../main/repository/chunk-index.js";
import { HOLE_ID, SEGMENT_CHUNKS } from "../../main/repository/file-formats.js";
import { packPath } from "../../main/repository/pack-file.js";
import { Repository } from "../../main/repository/repository.js";
import { TEST_PASSWORD, cliOk, runCli, type CliResult } from "./cli.js";

export const KiB = 1024;
export const MiB = 1024 * 1024;

/** Writes `size` incompressible, deterministic bytes to `file` and returns them. */
export function writeRandomImage(file: string, size: number, seed: string): Buffer {
  const bytes = new SeededBytes(seed).bytes(size);
  writeFileSync(file, bytes);
  return bytes;
}

/** The line on which the CLI reported its error (notes may come before it), or "" if none. */
export function errorLine(stderr: string): string {
  return stderr.split("\n").find((l) => l.startsWith("snapferry: error: ")) ?? "";
}

/** The objects a command printed with --json, one per stdout line (progress lines left out). */
export function jsonLines(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => !("progress" in o));
}

export function lastJson(stdout: string): Record<string, unknown> {
  const last = jsonLines(stdout).at(-1);
  assert.ok(last, `no JSON line in output:\n${stdout}`);
  return last;
}

export interface BackupResult {
  restorePoint: string;
  type: string;
  parent: string | null;
  read: number;
  fresh: number;
  stored: number;
}

export async function backupJson(repo: string, image: string, extra: string[] = []): Promise<BackupResult> {
  const r = await cliOk(["backup", "--repo", repo, image, "--json", ...extra]);
  const out = lastJson(r.stdout);
  assert.equal(typeof out.restorePoint, "string", r.stdout);
  return out as unknown as BackupResult;
}

export interface StatsResult {
  restorePoints: number;
  chunks: number;
  chunkBytes: number;
  packs: number;
  packBytes: number;
}

export async function statsJson(repo: string): Promise<StatsResult> {
  return lastJson((await cliOk(["stats", "--repo", repo, "--json"])).stdout) as unknown as StatsResult;
}

export interface CheckResult extends CliResult {
  problems: { message: string; restorePoint?: string; disk?: number }[];
  damaged: string[];
  notes: string[];
}

/** Runs `check` with --json; `damaged` is the sorted ids of the restore points it reports. */
export async function checkJson(repo: string, readData: boolean): Promise<CheckResult> {
  const r = await runCli(["check", "--repo", repo, "--json", ...(readData ? ["--read-data"] : [])]);
  const report = lastJson(r.stdout) as {
    problems?: CheckResult["problems"];
    damagedRestorePoints?: { id: string }[];
    notes?: string[];
  };
  assert.ok(report.problems, `check printed no report (exit ${r.code}):\n${r.stdout}\n${r.stderr}`);
  return {
    ...r,
    problems: report.problems,
    damaged: (report.damagedRestorePoints ?? []).map((d) => d.id).sort(),
    notes: report.notes ?? [],
  };
}

export async function restorePointIds(repo: string): Promise<string[]> {
  const r = await cliOk(["snapshots", "--repo", repo, "--json"]);
  return (JSON.parse(lastLineOf(r.stdout)) as { id: string }[]).map((p) => p.id);
}

function lastLineOf(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

/** Restores `rp` to `target` and asserts it equals `expected` byte for byte. */
export async function assertRestores(
  repo: string,
  rp: string,
  target: string,
  expected: Buffer,
): Promise<void> {
  await cliOk(["restore", "--repo", repo, rp, "--target", target, "--overwrite"]);
  const restored = readFileSync(target);
  assert.equal(restored.length, expected.length, `restored size of ${rp}`);
  assert.ok(restored.equals(expected), `restore point ${rp} did not restore bit for bit`);
}

/** Where one chunk of a disk lives. */
export interface StoredChunk {
  /** Byte offset of the chunk in the disk. */
  offset: number;
  id: string;
  loc: BlobLocation;
  /** The pack file holding it. */
  file: string;
}

export interface DiskLayout {
  chunks: StoredChunk[];
  /** The chunk-list blobs, one per segment. */
  lists: StoredChunk[];
}

/**
 * Reads (through the repository code, with the test password) where every chunk and chunk list of
 * disk 0 of `rp` is stored. Holes are left out.
 */
export async function diskLayout(repoPath: string, rp: string): Promise<DiskLayout> {
  const repo = await Repository.open(repoPath, () => Promise.resolve(TEST_PASSWORD));
  const index = await repo.loadIndex();
  const point = await repo.readRestorePoint(rp);
  const disk = point.disks[0];
  assert.ok(disk, `restore point ${rp} has no disk 0`);
  const layout: DiskLayout = { chunks: [], lists: [] };
  const locate = (id: Buffer, offset: number): StoredChunk => {
    const loc = index.get(id);
    assert.ok(loc, `blob ${id.toString("hex")} is not indexed`);
    return { offset, id: id.toString("hex"), loc, file: packPath(repoPath, loc.packId) };
  };
  for (const [seg, segId] of disk.segments.entries()) {
    const listId = Buffer.from(segId, "hex");
    layout.lists.push(locate(listId, seg * SEGMENT_CHUNKS * disk.chunkSize));
    const ids = await repo.readChunkList(index, segId, `chunk list ${seg}`);
    for (const [i, id] of ids.entries()) {
      if (!id.equals(HOLE_ID)) layout.chunks.push(locate(id, (seg * SEGMENT_CHUNKS + i) * disk.chunkSize));
    }
  }
  return layout;
}

/** XORs one byte of a file; calling the returned function puts it back. */
export function flipByte(file: string, position: number): () => void {
  const xor = (): void => {
    const fd = openSync(file, "r+");
    try {
      const b = Buffer.alloc(1);
      assert.equal(readSync(fd, b, 0, 1, position), 1, `${file} has no byte at ${position}`);
      b[0] = (b[0] ?? 0) ^ 0x5a;
      writeSync(fd, b, 0, 1, position);
    } finally {
      closeSync(fd);
    }
  };
  xor();
  return xor;
}

/** Flips a byte in the middle of a stored blob; returns the undo function. */
export function damageBlob(blob: StoredChunk): () => void {
  return flipByte(blob.file, blob.loc.offset + Math.floor(blob.loc.storedLength / 2));
}

/** Every file under `dir` (relative path → size and mtime), to prove that nothing was written. */
export function listing(dir: string): Map<string, string> {
  const out = new Map<string, string>();
  const walk = (d: string): void => {
    for (const entry of readdirSync(d, { withFileTypes: true })) {
      const full = path.join(d, entry.name);
      const st = statSync(full);
      const rel = path.relative(dir, full);
      if (entry.isDirectory()) {
        out.set(rel + "/", `dir ${st.mtimeMs}`);
        walk(full);
      } else {
        out.set(rel, `${st.size} ${st.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return out;
}

/** Names of the files in a folder of the repository (data/ is walked one level down). */
export function filesIn(repo: string, dir: string): string[] {
  const full = path.join(repo, dir);
  if (dir !== "data") return readdirSync(full).sort();
  return readdirSync(full)
    .flatMap((sub) => readdirSync(path.join(full, sub)))
    .sort();
}

/** Total size of the files in data/. */
export function dataBytes(repo: string): number {
  const data = path.join(repo, "data");
  let total = 0;
  for (const sub of readdirSync(data))
    for (const f of readdirSync(path.join(data, sub))) total += statSync(path.join(data, sub, f)).size;
  return total;
}
