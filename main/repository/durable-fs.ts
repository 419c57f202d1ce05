/**
 * File operations that survive a crash or a pulled cable: data reaches the disk (fsync) before a
 * rename makes it visible, and the rename itself is made durable by syncing the directory.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import { hostname } from "node:os";
import path from "node:path";
import { errnoCode, explainIoError } from "../common/errors.js";

/** A name for a file being written, unique per process, so a later run can tell whose it was. */
export function temporaryName(): string {
  return `${hostname().replace(/[^A-Za-z0-9.-]/g, "_")}-${process.pid}-${randomBytes(6).toString("hex")}`;
}

/** Parses a name made by temporaryName(). */
export function temporaryOwner(name: string): { host: string; pid: number } | undefined {
  const match = /^(.*)-(\d+)-[0-9a-f]{12}$/.exec(name);
  if (!match) return undefined;
  return { host: match[1] ?? "", pid: Number(match[2]) };
}

export async function fsyncDirectory(dir: string): Promise<void> {
  let handle: fs.FileHandle | undefined;
  try {
    handle = await fs.open(dir, "r");
    await handle.sync();
  } catch (err) {
    // Windows cannot open or sync a directory; NTFS journals the rename itself.
    const code = errnoCode(err);
    if (code !== "EISDIR" && code !== "EPERM" && code !== "EACCES" && code !== "EINVAL") throw err;
  } finally {
    await handle?.close();
  }
}

/**
 * Writes `data` to `finalPath` so that readers see either nothing or the whole file:
 * write a temporary file in `tmpDir`, fsync it, rename it into place, fsync the directory.
 */
export async function writeFileDurably(finalPath: string, data: Uint8Array, tmpDir: string): Promise<void> {
  const tmpPath = path.join(tmpDir, temporaryName());
  try {
    const handle = await fs.open(tmpPath, "wx");
    try {
      await handle.writeFile(data);
      await handle.sync();
    } finally {
      await handle.close();
    }
    await fs.mkdir(path.dirname(finalPath), { recursive: true });
    await fs.rename(tmpPath, finalPath);
    await fsyncDirectory(path.dirname(finalPath));
  } catch (err) {
    await fs.rm(tmpPath, { force: true }).catch(() => undefined);
    throw explainIoError(err, finalPath);
  }
}

/** Removes a file and makes the removal durable; a file already gone is not an error. */
export async function removeDurably(filePath: string): Promise<void> {
  await fs.rm(filePath, { force: true });
  await fsyncDirectory(path.dirname(filePath));
}

/** Lists a directory's entries; a missing directory is empty. */
export async function listNames(dir: string): Promise<string[]> {
  try {
    return await fs.readdir(dir);
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return [];
    throw err;
  }
}

export async function pathExists(p: string): Promise<boolean> {
  try {
    await fs.stat(p);
    return true;
  } catch (err) {
    if (errnoCode(err) === "ENOENT") return false;
    throw err;
  }
}
