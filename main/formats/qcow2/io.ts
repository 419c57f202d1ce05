/**
 * Positional reads that tolerate the end of the file: qcow2 lets the last cluster of an image stop
 * short of a full cluster (qemu writes only what it needs), and those missing bytes read as zeros.
 */
import type { FileHandle } from "node:fs/promises";

/** Fills `target` from `position`, zeroing what lies past the end of the file. */
export async function readAt(handle: FileHandle, target: Buffer, position: number): Promise<void> {
  let done = 0;
  while (done < target.length) {
    const { bytesRead } = await handle.read(target, done, target.length - done, position + done);
    if (bytesRead === 0) break;
    done += bytesRead;
  }
  target.fill(0, done);
}
