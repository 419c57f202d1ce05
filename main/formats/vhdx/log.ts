/**
 * The VHDX log: metadata changes are written there first and then applied to the file. A file
 * closed cleanly has nothing left to apply; one that was not (a crash, a host power loss) has
 * entries whose changes may be missing from its tables, and reading it without replaying them
 * could return stale data. This reader does not replay: it refuses such files, naming the fix.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { crc32cWithoutField } from "./crc32c.js";
import { ZERO_GUID, readGuid } from "./guid.js";
import type { VhdxHeader } from "./headers.js";

const SECTOR = 4096;
const MIB = 1024 * 1024;
/** Logs are 1 MiB in practice; a much larger one is read neither whole nor piece by piece. */
const MAX_CHECKED_LOG = 32 * MIB;

function replayHint(file: string): string {
  return `Open it once in Hyper-V (or mount it in Windows), or run \`qemu-img check -r all ${file}\`, to apply the log; then try again.`;
}

/** The entry starting at `start` of the circular log, if it is a valid entry of this log. */
function validEntryAt(log: Buffer, start: number, logGuid: string): boolean {
  if (log.toString("latin1", start, start + 4) !== "loge") return false;
  const length = log.readUInt32LE(start + 8);
  if (length === 0 || length % SECTOR !== 0 || length > log.length) return false;
  if (log.readBigUInt64LE(start + 16) === 0n) return false;
  if (readGuid(log, start + 32) !== logGuid) return false;
  // An entry may wrap past the end of the log back to its start.
  const entry =
    start + length <= log.length
      ? log.subarray(start, start + length)
      : Buffer.concat([log.subarray(start), log.subarray(0, start + length - log.length)]);
  return entry.readUInt32LE(4) === crc32cWithoutField(entry, 4);
}

/** Throws a clear ImageFormatError when the log holds changes not yet applied to the file. */
export async function refusePendingLog(file: ImageFile, header: VhdxHeader): Promise<void> {
  if (header.logGuid === ZERO_GUID) return;
  const { logOffset, logLength } = header;
  if (logLength === 0 || logLength % MIB !== 0 || logOffset % MIB !== 0) {
    throw new ImageFormatError(
      file.path,
      `has a log marked active with an invalid position or size`,
      replayHint(file.path),
    );
  }
  if (logLength > MAX_CHECKED_LOG) {
    throw new ImageFormatError(
      file.path,
      `has an active log of ${logLength / MIB} MiB that was not applied`,
      replayHint(file.path),
    );
  }
  const log = await file.read(logOffset, logLength, "the VHDX log");
  for (let start = 0; start < log.length; start += SECTOR) {
    if (validEntryAt(log, start, header.logGuid)) {
      throw new ImageFormatError(
        file.path,
        "has changes in its VHDX log that were not applied to the file (it was not closed cleanly)",
        replayHint(file.path),
      );
    }
  }
  // A log GUID with no entry of that log: the log is empty and the file consistent.
}
