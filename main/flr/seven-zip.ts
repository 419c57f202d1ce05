/**
 * 7-Zip, through node-7z: the system's 7-Zip (Debian's `7zz` from the 7zip package, or `7z`)
 * reads NTFS, FAT, ext2/3/4 and more, so we do not write file-system readers ourselves.
 * Extraction and archive creation go through node-7z; the listing spawns 7-Zip directly because
 * node-7z's parser drops the fields we need (Folder, Mode, Symbolic Link). 7-Zip runs with
 * TZ=UTC so the times it prints and sets are UTC, and with -spd so names are never wildcards.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { access, constants } from "node:fs/promises";
import path from "node:path";
import { createRequire } from "node:module";
import type { SevenZipOptions, ZipStream } from "node-7z";
import { CancelledError, SnapferryError } from "../common/errors.js";

export interface ArchiveEntry {
  /** As 7-Zip names it: "etc/hosts", no leading slash. */
  path: string;
  type: "file" | "dir" | "link";
  size: number;
  mtime: string | null;
}

const INSTALL_HINT =
  "Install 7-Zip: on Debian/Ubuntu `apt install 7zip`; on Windows or macOS from https://www.7-zip.org/download.html. " +
  "Or point Snapferry at it with --7z PATH (SNAPFERRY_7Z).";

// node-7z is CommonJS with computed exports, which Node's ESM loader cannot name one by one.
const seven = createRequire(import.meta.url)("node-7z") as typeof import("node-7z");

const ENV = { ...process.env, TZ: "UTC", LC_ALL: "C.UTF-8" };

async function executable(file: string): Promise<boolean> {
  try {
    await access(file, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * Where installers put 7-Zip when it is not on the PATH: the Windows installer never adds itself
 * to it, and an app started from the macOS Dock does not see Homebrew's folders.
 */
function usualFolders(): string[] {
  if (process.platform === "win32") {
    return [process.env.ProgramFiles, process.env["ProgramFiles(x86)"]]
      .filter((d): d is string => typeof d === "string")
      .map((d) => path.join(d, "7-Zip"));
  }
  if (process.platform === "darwin") return ["/opt/homebrew/bin", "/usr/local/bin"];
  return [];
}

/** The 7-Zip binary: the configured one, SNAPFERRY_7Z, or 7zz / 7z on PATH. */
export async function findSevenZip(configured?: string): Promise<string> {
  const explicit = configured ?? process.env.SNAPFERRY_7Z;
  if (explicit) {
    if (await executable(explicit)) return explicit;
    throw new SnapferryError("config", `7-Zip was not found at ${explicit}`, INSTALL_HINT);
  }
  const names = process.platform === "win32" ? ["7z.exe", "7zz.exe"] : ["7zz", "7z"];
  const dirs = [...(process.env.PATH ?? "").split(path.delimiter).filter(Boolean), ...usualFolders()];
  for (const dir of dirs) {
    for (const name of names) {
      const candidate = path.join(dir, name);
      if (await executable(candidate)) return candidate;
    }
  }
  throw new SnapferryError(
    "config",
    "7-Zip (7zz or 7z) was not found on the PATH or where its installers put it",
    INSTALL_HINT,
  );
}

/**
 * Every entry 7-Zip sees in `file`, or null when 7-Zip cannot open it as any file system.
 */
export async function listArchive(
  bin: string,
  file: string,
  signal?: AbortSignal,
): Promise<ArchiveEntry[] | null> {
  const { code, stdout, stderr } = await run(bin, ["l", "-slt", "-ba", "-sccUTF-8", file], signal);
  if (code !== 0) {
    if (/Cannot open the file as archive|Can not open the file as archive/i.test(stdout + stderr))
      return null;
    throw new SnapferryError(
      "internal",
      `7-Zip failed to list ${file} (exit ${code}): ${stderr.trim() || stdout.trim()}`,
    );
  }
  return parseTechnicalListing(stdout);
}

/** Parses `7z l -slt -ba`: blocks of "Key = Value" lines separated by blank lines. */
export function parseTechnicalListing(text: string): ArchiveEntry[] {
  const out: ArchiveEntry[] = [];
  for (const block of text.split(/\r?\n\r?\n/)) {
    const fields = new Map<string, string>();
    for (const line of block.split(/\r?\n/)) {
      const at = line.indexOf(" = ");
      if (at > 0) fields.set(line.slice(0, at), line.slice(at + 3));
      else if (line.endsWith(" =")) fields.set(line.slice(0, -2), "");
    }
    const p = fields.get("Path");
    if (!p) continue;
    const mode = fields.get("Mode") ?? "";
    const attributes = fields.get("Attributes") ?? "";
    const dir = fields.get("Folder") === "+" || mode.startsWith("d") || /^D/.test(attributes);
    const link = mode.startsWith("l") || (fields.get("Symbolic Link") ?? "") !== "";
    out.push({
      path: p.replaceAll("\\", "/"),
      type: dir ? "dir" : link ? "link" : "file",
      size: Number(fields.get("Size") || 0),
      mtime: isoTime(fields.get("Modified")),
    });
  }
  return out;
}

function isoTime(text: string | undefined): string | null {
  const m = /^(\d{4}-\d\d-\d\d) (\d\d:\d\d:\d\d)(\.\d+)?/.exec(text ?? "");
  if (!m) return null;
  const ms = (m[3] ?? ".000").slice(0, 4).padEnd(4, "0");
  const date = new Date(`${m[1]}T${m[2]}${ms}Z`);
  return Number.isNaN(date.getTime()) ? null : date.toISOString();
}

function run(
  bin: string,
  args: string[],
  signal?: AbortSignal,
): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { env: ENV, stdio: ["ignore", "pipe", "pipe"], windowsHide: true });
    const chunks: Buffer[] = [];
    let stderr = "";
    const onAbort = (): void => void child.kill();
    signal?.addEventListener("abort", onAbort, { once: true });
    child.stdout.on("data", (d: Buffer) => chunks.push(d));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", (err) =>
      reject(new SnapferryError("config", `cannot run 7-Zip (${bin}): ${err.message}`, INSTALL_HINT)),
    );
    child.on("close", (code) => {
      signal?.removeEventListener("abort", onAbort);
      if (signal?.aborted) reject(new CancelledError("listing the files"));
      else resolve({ code: code ?? -1, stdout: Buffer.concat(chunks).toString("utf8"), stderr });
    });
  });
}

/** Waits for a node-7z stream, reporting its percent, and kills 7-Zip when `signal` aborts. */
function settle(
  stream: ZipStream,
  what: string,
  onPercent?: (percent: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const child = (stream as unknown as { _childProcess?: ChildProcess })._childProcess;
  return new Promise((resolve, reject) => {
    const onAbort = (): void => void child?.kill();
    signal?.addEventListener("abort", onAbort, { once: true });
    let failed: Error | undefined;
    stream.on("data", () => undefined);
    stream.on("progress", (p) => onPercent?.(p.percent));
    stream.on("error", (err) => (failed = err));
    const finish = (): void => {
      signal?.removeEventListener("abort", onAbort);
      const code = child?.exitCode ?? 0;
      if (signal?.aborted) reject(new CancelledError(what));
      else if (failed || code !== 0) {
        const detail =
          (failed as { stderr?: string } | undefined)?.stderr ?? failed?.message ?? `exit ${code}`;
        reject(new SnapferryError("target", `7-Zip failed ${what}: ${detail.trim()}`));
      } else resolve();
    };
    stream.on("end", finish);
  });
}

function base(bin: string): SevenZipOptions {
  // node-7z 3.0.0 ignores $spawnOptions, so 7-Zip runs with our environment and working folder.
  return { $bin: bin, $progress: true, yes: true, noWildcards: true };
}

/** Extracts `paths` (7-Zip names; folders recursively) from `file` into `outDir`, keeping paths. */
export function extractPaths(
  bin: string,
  file: string,
  paths: string[],
  outDir: string,
  onPercent?: (percent: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const stream = seven.extractFull(file, outDir, { ...base(bin), $cherryPick: paths });
  return settle(stream, `extracting from ${path.basename(file)}`, onPercent, signal);
}

/** Creates `archive` (.zip or .7z) holding `names` from `folder`, stored under their own names. */
export function createArchive(
  bin: string,
  archive: string,
  folder: string,
  names: string[],
  format: "zip" | "7z",
  onPercent?: (percent: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  // 7-Zip stores an absolute source under its last component and recurses into folders itself.
  const sources = names.map((n) => path.join(folder, n));
  const stream = seven.add(archive, sources, { ...base(bin), archiveType: format });
  return settle(stream, `creating ${archive}`, onPercent, signal);
}
