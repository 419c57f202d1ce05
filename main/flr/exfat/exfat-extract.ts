/**
 * Writes files and folders of an exFAT volume into a folder, keeping their paths, sizes and
 * modification times: the exFAT counterpart of 7-Zip's `extractPaths`. Reads go through one
 * bounded buffer; nothing already present is overwritten and nothing lands outside `outDir`.
 */
import { mkdir, open, utimes } from "node:fs/promises";
import path from "node:path";
import { CancelledError, SnapferryError } from "../../common/errors.js";
import { ExfatVolume, type ExfatItem } from "./exfat-volume.js";

const BUFFER = 1024 * 1024;

/** Lists `file` as an exFAT volume, in 7-Zip's shape (paths without a leading "/"). */
export async function listExfat(file: string, signal?: AbortSignal): Promise<ExfatItem[]> {
  const volume = await ExfatVolume.open(file);
  try {
    return await volume.list(signal);
  } finally {
    await volume.close();
  }
}

/**
 * Extracts `paths` (as `listExfat` names them; folders recursively; all when empty) from the
 * exFAT volume in `file` into `outDir`, keeping their paths below it.
 */
export async function extractExfat(
  file: string,
  paths: string[],
  outDir: string,
  onPercent?: (percent: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  const volume = await ExfatVolume.open(file);
  try {
    const items = pick(await volume.list(signal), paths);
    const total = items.reduce((n, i) => n + (i.type === "file" ? i.size : 0), 0);
    let done = 0;
    const root = path.resolve(outDir);
    await mkdir(root, { recursive: true });
    for (const item of items) {
      if (signal?.aborted) throw new CancelledError("extracting from the exFAT volume");
      const dest = inside(root, item.path);
      if (item.type === "dir") {
        await mkdir(dest, { recursive: true });
        continue;
      }
      await mkdir(path.dirname(dest), { recursive: true });
      await writeFile(
        volume,
        item,
        dest,
        (n) => {
          done += n;
          onPercent?.(total > 0 ? (done * 100) / total : 100);
        },
        signal,
      );
    }
    // Folders last and deepest first: writing into a folder changes its time.
    for (const item of [...items].reverse()) {
      if (item.mtime) {
        const when = new Date(item.mtime);
        await utimes(inside(root, item.path), when, when);
      }
    }
  } finally {
    await volume.close();
  }
}

/** The listed items at or below `paths`, parents before children. */
function pick(all: ExfatItem[], paths: string[]): ExfatItem[] {
  if (paths.length === 0) return all;
  for (const p of paths) {
    if (!all.some((i) => i.path === p)) {
      throw new SnapferryError("not-found", `"${p}" is not in the exFAT volume`);
    }
  }
  return all.filter((i) => paths.some((p) => i.path === p || i.path.startsWith(p + "/")));
}

/** `outDir/item`, refusing any name that would climb out of it. */
function inside(root: string, itemPath: string): string {
  const parts = itemPath.split("/");
  if (parts.some((s) => s === "" || s === "." || s === ".." || s.includes("\\") || s.includes("\0"))) {
    throw new SnapferryError("image-format", `exFAT: refusing the unsafe name "${itemPath}"`);
  }
  const dest = path.resolve(root, ...parts);
  if (!dest.startsWith(root + path.sep)) {
    throw new SnapferryError("image-format", `exFAT: "${itemPath}" would be written outside ${root}`);
  }
  return dest;
}

async function writeFile(
  volume: ExfatVolume,
  item: ExfatItem,
  dest: string,
  onBytes: (n: number) => void,
  signal?: AbortSignal,
): Promise<void> {
  // "wx": an existing file is never overwritten.
  const out = await open(dest, "wx");
  try {
    for await (const chunk of volume.chunks(item.stream, `"${item.path}"`, BUFFER)) {
      if (signal?.aborted) throw new CancelledError("extracting from the exFAT volume");
      await out.write(chunk, 0, chunk.length);
      onBytes(chunk.length);
    }
  } finally {
    await out.close();
  }
}
