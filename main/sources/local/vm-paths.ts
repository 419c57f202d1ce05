/**
 * Finding the files a VM's configuration names. A .vmx or a VMDK descriptor names files relative
 * to its own folder or by absolute path, and a VM copied from a Windows host to a Mac or Linux
 * machine still names them "D:\VMs\web01\web01.vmdk" or "..\base\base.vmdk".
 */
import { promises as fs } from "node:fs";
import path from "node:path";

const WINDOWS_ABSOLUTE = /^(?:[A-Za-z]:[\\/]|\\\\)/;

/** The last component of a path written with / or \ separators. */
export function foreignBaseName(reference: string): string {
  const parts = reference.split(/[\\/]/);
  return parts[parts.length - 1] ?? reference;
}

/** The places `reference` may designate, most likely first. */
export function candidatePaths(baseDir: string, reference: string): string[] {
  const candidates = [path.resolve(baseDir, reference)];
  if (path.sep === "/" && reference.includes("\\")) {
    if (WINDOWS_ABSOLUTE.test(reference)) {
      // A Windows absolute path means nothing here; the file was most likely copied alongside.
      candidates.push(path.join(baseDir, foreignBaseName(reference)));
    } else {
      candidates.push(path.resolve(baseDir, reference.replace(/\\/g, "/")));
    }
  } else if (path.isAbsolute(reference) || WINDOWS_ABSOLUTE.test(reference)) {
    // A path on another machine: try the same name beside the file that names it.
    candidates.push(path.join(baseDir, foreignBaseName(reference)));
  }
  return [...new Set(candidates)];
}

async function exists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch {
    return false;
  }
}

/** The first candidate that exists, or undefined; `candidatePaths(...)[0]` is the one to name. */
export async function locateVmFile(baseDir: string, reference: string): Promise<string | undefined> {
  for (const candidate of candidatePaths(baseDir, reference)) {
    if (await exists(candidate)) return candidate;
  }
  return undefined;
}
