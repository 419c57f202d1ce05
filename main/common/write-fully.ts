/** A positional write that does not return before every byte is written (write() may write less). */
import type { FileHandle } from "node:fs/promises";

export async function writeFully(handle: FileHandle, data: Uint8Array, position: number): Promise<void> {
  let done = 0;
  while (done < data.length) {
    const { bytesWritten } = await handle.write(data, done, data.length - done, position + done);
    done += bytesWritten;
  }
}
