import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { applyRetention } from "../../main/repository/retention.js";
import type { RestorePoint } from "../../main/repository/restore-point.js";

process.env.TZ = "UTC";

function point(id: string, time: string, location = "/img"): RestorePoint {
  return {
    version: 1,
    id,
    time,
    tool: "t",
    host: "h",
    type: "full",
    parent: null,
    consistency: "crash",
    source: { kind: "image", location },
    disks: [],
    config: {},
    durationMs: 0,
  };
}

const none = { last: 0, daily: 0, weekly: 0, monthly: 0, yearly: 0 };

describe("GFS retention", () => {
  // Two restore points a day for 60 days, at 01:00 and 13:00.
  const points = Array.from({ length: 120 }, (_, i) => {
    const t = new Date(Date.UTC(2026, 0, 1 + Math.floor(i / 2), i % 2 ? 13 : 1));
    return point(`p${String(i).padStart(3, "0")}`, t.toISOString());
  });
  const kept = (policy: Partial<typeof none>): string[] =>
    applyRetention(points, { ...none, ...policy })
      .filter((d) => d.keep)
      .map((d) => d.id)
      .sort();

  it("keep-last keeps the newest N", () => {
    assert.deepEqual(kept({ last: 3 }), ["p117", "p118", "p119"]);
  });

  it("keep-daily keeps the newest of each of the last N days", () => {
    assert.deepEqual(kept({ daily: 3 }), ["p115", "p117", "p119"]);
  });

  it("keep-weekly and keep-monthly keep the newest of each period", () => {
    // The newest point is 2026-03-01 13:00 (p119); the newest of February is 02-28 13:00 (p117).
    assert.deepEqual(kept({ monthly: 2 }), ["p117", "p119"]);
    assert.equal(kept({ weekly: 4 }).length, 4);
    assert.ok(kept({ weekly: 4 }).includes("p119"));
  });

  it("applies per source and never removes everything of a source", () => {
    const mixed = [...points.slice(0, 4), point("other", "2025-06-01T00:00:00Z", "/other")];
    const decisions = applyRetention(mixed, { ...none, last: 1 });
    assert.deepEqual(
      decisions
        .filter((d) => d.keep)
        .map((d) => d.id)
        .sort(),
      ["other", "p003"],
    );
  });

  it("records why a point is kept", () => {
    const d = applyRetention(points, { ...none, last: 1, daily: 1, yearly: 1 }).find((x) => x.id === "p119");
    assert.deepEqual(d?.reasons, ["last", "daily", "yearly"]);
  });
});
