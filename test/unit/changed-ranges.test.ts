import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  ChangedRangeCursor,
  normalizeRanges,
  parseChangedRanges,
} from "../../main/engines/changed-ranges.js";
import { UsageError } from "../../main/common/errors.js";

describe("changed ranges", () => {
  it("parses offset/length lines, skipping blanks and comments, and merges overlaps", () => {
    const r = parseChangedRanges("# from CBT\n0 4096\n\n4096 4096\n1048576 10\n1048570 8\n", "f");
    assert.deepEqual(r, [
      { offset: 0, length: 8192 },
      { offset: 1048570, length: 16 },
    ]);
  });

  it("rejects a malformed line with its line number", () => {
    assert.throws(
      () => parseChangedRanges("0 10\nten 20\n", "ranges.txt"),
      (e: unknown) => {
        return e instanceof UsageError && e.message.includes("ranges.txt line 2");
      },
    );
  });

  it("tells which chunks a set of ranges touches", () => {
    const cursor = new ChangedRangeCursor(
      normalizeRanges([
        { offset: 5000, length: 10 },
        { offset: 20000, length: 1 },
      ]),
    );
    const chunk = 4096;
    const touched = [0, 1, 2, 3, 4, 5, 6].filter((c) => cursor.touches(c * chunk, (c + 1) * chunk));
    assert.deepEqual(touched, [1, 4]);
  });
});
