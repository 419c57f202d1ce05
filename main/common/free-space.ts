/** Free bytes for the user on the file system holding `where`; null when it cannot be read (unplugged). */
import { statfs } from "node:fs/promises";

export async function freeBytes(where: string): Promise<number | null> {
  try {
    const s = await statfs(where);
    return s.bavail * s.bsize;
  } catch {
    return null;
  }
}
