/**
 * Extracts selected files and folders of materialised partitions into a folder. 7-Zip writes
 * into a staging folder inside the target (so the final step is a cheap rename on the same file
 * system); each selected item then moves to TARGET/NAME, so "/etc/hosts" lands as TARGET/hosts,
 * never outside TARGET, and nothing that already exists there is overwritten.
 */
import { lstat, mkdir, mkdtemp, rename, rm } from "node:fs/promises";
import path from "node:path";
import { SnapferryError, explainIoError } from "../common/errors.js";
import type { FileProgress } from "./file-browser.js";
import type { FileEntry } from "./file-tree.js";
import type { extractExfat } from "./exfat/exfat-extract.js";
import { extractPaths } from "./seven-zip.js";

export interface ExtractResult {
  files: number;
  dirs: number;
  bytes: number;
  target: string;
}

export interface Selection {
  /** The materialised partition file it comes from. */
  file: string;
  entry: FileEntry;
  /** Its name in the target folder. */
  name: string;
  /** The entry and everything below it. */
  items: FileEntry[];
  /** Extracts from `file` instead of 7-Zip (exFAT, which 7-Zip cannot read); same contract as extractPaths. */
  extractor?: typeof extractExfat;
}

interface Options {
  onProgress?: (p: FileProgress) => void;
  signal?: AbortSignal;
}

export async function extractSelection(
  bin: string,
  selections: Selection[],
  target: string,
  phase: "extract" | "archive",
  options: Options,
): Promise<ExtractResult> {
  try {
    await mkdir(target, { recursive: true });
  } catch (err) {
    throw explainIoError(err, target);
  }
  for (const s of selections) {
    const dest = path.join(target, s.name);
    if (await present(dest)) {
      throw new SnapferryError(
        "target",
        `${dest} already exists`,
        "Choose an empty folder, or move that one away first.",
      );
    }
  }
  const result = count(selections, target);
  const staging = await mkdtemp(path.join(target, ".snapferry-extract-"));
  try {
    let before = 0;
    const groups = groupByFile(selections);
    for (const [i, [file, group]] of [...groups].entries()) {
      const out = path.join(staging, String(i));
      const whole = group.some((s) => s.entry.path === "/");
      const groupBytes = count(group, target).bytes;
      const report = (percent: number): void =>
        options.onProgress?.({
          phase,
          bytesDone: before + (groupBytes * percent) / 100,
          bytesTotal: result.bytes,
        });
      const cherry = whole ? [] : group.map((s) => s.entry.path.slice(1));
      const extractor = group[0]?.extractor;
      if (extractor) await extractor(file, cherry, out, report, options.signal);
      else await extractPaths(bin, file, cherry, out, report, options.signal);
      before += groupBytes;
      // Folders first moved out of a whole-partition extraction would vanish from under it.
      for (const s of [...group].sort((a, b) => a.entry.path.length - b.entry.path.length).reverse()) {
        const from = s.entry.path === "/" ? out : path.join(out, ...s.entry.path.slice(1).split("/"));
        if (!(await present(from))) {
          throw new SnapferryError(
            "internal",
            `7-Zip did not extract ${s.entry.path} from ${path.basename(file)}`,
          );
        }
        await rename(from, path.join(target, s.name));
      }
    }
    options.onProgress?.({ phase, bytesDone: result.bytes, bytesTotal: result.bytes });
    return result;
  } catch (err) {
    throw explainIoError(err, target, "Free space there, or extract to another folder.");
  } finally {
    await rm(staging, { recursive: true, force: true });
  }
}

function groupByFile(selections: Selection[]): Map<string, Selection[]> {
  const groups = new Map<string, Selection[]>();
  for (const s of selections) {
    const group = groups.get(s.file);
    if (group) group.push(s);
    else groups.set(s.file, [s]);
  }
  return groups;
}

function count(selections: Selection[], target: string): ExtractResult {
  const result = { files: 0, dirs: 0, bytes: 0, target };
  for (const s of selections) {
    for (const item of s.items) {
      if (item.type === "dir") result.dirs++;
      else {
        result.files++;
        if (item.type === "file") result.bytes += item.size;
      }
    }
  }
  return result;
}

async function present(p: string): Promise<boolean> {
  try {
    await lstat(p);
    return true;
  } catch {
    return false;
  }
}
