/**
 * Finding a differencing disk's parent from the paths recorded in it. They are usually Windows
 * paths written by Hyper-V ("..\base\parent.vhdx", "C:\VMs\parent.vhdx"), so separators are
 * converted; a Windows absolute path cannot be used elsewhere, so the parent's file name is also
 * looked for in the child's folder, where copied chains usually keep it.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { ImageFormatError } from "../image-error.js";

export interface RecordedParent {
  /** Paths relative to the child's folder, in order of preference. */
  relative: string[];
  /** Absolute paths, in order of preference. */
  absolute: string[];
}

const onWindows = process.platform === "win32";

function toLocal(recorded: string): string {
  return onWindows ? recorded : recorded.replace(/\\/g, "/");
}

function isUsableAbsolute(recorded: string): boolean {
  return onWindows ? path.win32.isAbsolute(recorded) : recorded.startsWith("/");
}

/** Where the parent may be on this machine, most likely first, without duplicates. */
export function parentCandidates(childFile: string, recorded: RecordedParent): string[] {
  const folder = path.dirname(path.resolve(childFile));
  const candidates: string[] = [];
  for (const rel of recorded.relative) candidates.push(path.resolve(folder, toLocal(rel)));
  for (const abs of recorded.absolute) if (isUsableAbsolute(abs)) candidates.push(path.resolve(toLocal(abs)));
  for (const any of [...recorded.relative, ...recorded.absolute]) {
    const name = any.split(/[\\/]/).at(-1);
    if (name && name !== "." && name !== "..") candidates.push(path.join(folder, name));
  }
  return [...new Set(candidates)];
}

/** The first candidate that is an existing file, or an error naming every place looked at. */
export async function findParent(childFile: string, recorded: RecordedParent): Promise<string> {
  const candidates = parentCandidates(childFile, recorded);
  for (const candidate of candidates) {
    const stat = await fs.stat(candidate).catch(() => undefined);
    if (stat?.isFile()) return candidate;
  }
  const shown = [...recorded.relative, ...recorded.absolute];
  throw new ImageFormatError(
    childFile,
    candidates.length === 0
      ? "is a differencing disk but records no path to its parent disk"
      : `is a differencing disk whose parent was not found (recorded as ${shown.map((p) => `"${p}"`).join(", ")}; looked at ${candidates.join(", ")})`,
    "Put the parent disk next to the differencing disk (or where it was recorded), then try again.",
  );
}
