/**
 * Changed byte ranges (from CBT, or from a file given with --changed-ranges): which chunks an
 * incremental backup must read. Everything else is taken from the parent restore point.
 */
import { promises as fs } from "node:fs";
import { SnapferryError, UsageError } from "../common/errors.js";

export interface ByteRange {
  offset: number;
  length: number;
}

/** Parses one "offset length" pair of decimal byte counts per line; blank lines and # comments are skipped. */
export function parseChangedRanges(text: string, what: string): ByteRange[] {
  const ranges: ByteRange[] = [];
  text.split(/\r?\n/).forEach((raw, i) => {
    const line = raw.trim();
    if (line === "" || line.startsWith("#")) return;
    const match = /^(\d+)\s+(\d+)$/.exec(line);
    if (!match) throw new UsageError(`${what} line ${i + 1}: expected "offset length", got "${line}"`);
    ranges.push({ offset: Number(match[1]), length: Number(match[2]) });
  });
  return normalizeRanges(ranges);
}

export async function readChangedRanges(file: string): Promise<ByteRange[]> {
  let text: string;
  try {
    text = await fs.readFile(file, "utf8");
  } catch {
    throw new UsageError(`cannot read changed-ranges file ${file}`);
  }
  return parseChangedRanges(text, file);
}

/** Sorts and merges overlapping or touching ranges, dropping empty ones. */
export function normalizeRanges(ranges: readonly ByteRange[]): ByteRange[] {
  const sorted = ranges.filter((r) => r.length > 0).sort((a, b) => a.offset - b.offset);
  const out: ByteRange[] = [];
  for (const r of sorted) {
    const last = out.at(-1);
    if (last && r.offset <= last.offset + last.length) {
      last.length = Math.max(last.length, r.offset + r.length - last.offset);
    } else {
      out.push({ ...r });
    }
  }
  return out;
}

export function assertRangesFit(ranges: readonly ByteRange[], size: number, disk: string): void {
  const last = ranges.at(-1);
  if (last && last.offset + last.length > size) {
    throw new SnapferryError(
      "source",
      `a changed range (${last.offset}+${last.length}) reaches past the end of ${disk} (${size} bytes)`,
      "The changed ranges belong to another disk or an older size; back up without them.",
    );
  }
}

/**
 * Answers "does [start, end) touch a changed range?" for chunks asked in increasing order, in
 * amortised constant time.
 */
export class ChangedRangeCursor {
  private i = 0;
  constructor(private readonly ranges: readonly ByteRange[]) {}

  touches(start: number, end: number): boolean {
    while (this.i < this.ranges.length) {
      const r = this.ranges[this.i];
      if (!r) break;
      if (r.offset + r.length <= start) this.i++;
      else return r.offset < end;
    }
    return false;
  }
}
