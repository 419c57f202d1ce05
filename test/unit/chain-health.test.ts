import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  CHAIN_BLOCK_DEPTH,
  chainHealth,
  formatAge,
  type SnapshotTreeNode,
} from "../../main/sources/vsphere/chain-health.js";

const NOW = new Date("2026-11-27T12:00:00Z");
const HOUR = 3600_000;

function snap(name: string, hoursAgo: number, children: SnapshotTreeNode[] = []): SnapshotTreeNode {
  return {
    name,
    snapshot: `snapshot-${name}`,
    createTime: new Date(NOW.getTime() - hoursAgo * HOUR),
    children,
  };
}

/** A straight chain s1 → s2 → … → sN, one hour apart, the newest 1 hour old. */
function chain(n: number): SnapshotTreeNode[] {
  let node: SnapshotTreeNode | undefined;
  for (let i = n; i >= 1; i--) node = snap(`s${i}`, n - i + 1, node ? [node] : []);
  return node ? [node] : [];
}

describe("snapshot-chain health", () => {
  it("is ok with no snapshots", () => {
    const h = chainHealth({ vm: "web01", rootSnapshots: [] }, NOW);
    assert.equal(h.status, "ok");
    assert.equal(h.depth, 0);
    assert.equal(h.snapshotCount, 0);
    assert.equal(h.oldest, undefined);
    assert.deepEqual(h.warnings, []);
    assert.equal(h.summary, "no snapshots");
  });

  it("gives each node its depth and age, and marks the chain to the current snapshot", () => {
    // base ─┬─ a ─ a1 (current)
    //       └─ b
    const tree = [snap("base", 50, [snap("a", 20, [snap("a1", 2)]), snap("b", 10)])];
    const h = chainHealth({ vm: "web01", rootSnapshots: tree, currentSnapshot: "snapshot-a1" }, NOW);
    assert.equal(h.depth, 3);
    assert.equal(h.snapshotCount, 4);
    const [base] = h.snapshots;
    assert.ok(base);
    const [a, b] = base.children;
    const a1 = a?.children[0];
    assert.deepEqual(
      [base, a, a1, b].map((n) => [n?.name, n?.depth, n?.ageMs, n?.onCurrentChain, n?.current]),
      [
        ["base", 1, 50 * HOUR, true, false],
        ["a", 2, 20 * HOUR, true, false],
        ["a1", 3, 2 * HOUR, true, true],
        ["b", 2, 10 * HOUR, false, false],
      ],
    );
    assert.deepEqual(h.oldest, { name: "base", ageMs: 50 * HOUR });
  });

  it("measures depth along the current branch, not the deepest one", () => {
    const tree = [snap("base", 5, [snap("a", 4, [snap("a1", 3, [snap("a2", 2)])]), snap("b", 1)])];
    const h = chainHealth({ vm: "web01", rootSnapshots: tree, currentSnapshot: "snapshot-b" }, NOW);
    assert.equal(h.depth, 2);
    assert.equal(h.status, "ok");
  });

  it("is ok at depth 2 and warns from depth 3, naming the chain", () => {
    assert.equal(
      chainHealth({ vm: "v", rootSnapshots: chain(2), currentSnapshot: "snapshot-s2" }, NOW).status,
      "ok",
    );
    const h = chainHealth({ vm: "v", rootSnapshots: chain(3), currentSnapshot: "snapshot-s3" }, NOW);
    assert.equal(h.status, "warning");
    assert.deepEqual(
      h.warnings.map((w) => w.kind),
      ["deep-chain"],
    );
    assert.deepEqual(h.warnings[0]?.snapshots, ["s1", "s2", "s3"]);
    assert.match(h.warnings[0]?.message ?? "", /chain of 3 snapshots.*KB 1025279/);
    assert.equal(h.blocked, undefined);
    assert.equal(h.summary, "3 snapshots, chain depth 3, oldest 3 hours: warning");
  });

  it("warns about snapshots older than 72 hours, oldest first, and not at exactly 72", () => {
    const tree = [snap("pre-upgrade", 24 * 12 + 5, [snap("patch", 100), snap("fresh", 72)])];
    const h = chainHealth({ vm: "db01", rootSnapshots: tree, currentSnapshot: "snapshot-fresh" }, NOW);
    assert.equal(h.status, "warning");
    assert.deepEqual(
      h.warnings.map((w) => w.kind),
      ["old-snapshots"],
    );
    const old = h.warnings[0];
    assert.deepEqual(old?.snapshots, ["pre-upgrade", "patch"]);
    assert.match(
      old?.message ?? "",
      /2 snapshots are older than 72 hours \(the oldest, "pre-upgrade", is 12 days old\)/,
    );
    assert.match(old?.message ?? "", /KB 1025279/);
    assert.equal(h.snapshots[0]?.children[1]?.tooOld, false, "72 hours exactly is not older than 72 hours");
    assert.deepEqual(h.oldest, { name: "pre-upgrade", ageMs: (24 * 12 + 5) * HOUR });

    const one = chainHealth(
      { vm: "db01", rootSnapshots: [snap("old", 73)], currentSnapshot: "snapshot-old" },
      NOW,
    );
    assert.match(one.warnings[0]?.message ?? "", /^Snapshot "old" is 3 days old\./);
  });

  it("blocks a backup at depth 31, not at 30, with a message saying why", () => {
    const at30 = chainHealth({ vm: "v", rootSnapshots: chain(30), currentSnapshot: "snapshot-s30" }, NOW);
    assert.equal(at30.status, "warning");
    assert.equal(at30.blocked, undefined);
    const at31 = chainHealth({ vm: "app01", rootSnapshots: chain(31), currentSnapshot: "snapshot-s31" }, NOW);
    assert.equal(CHAIN_BLOCK_DEPTH, 31);
    assert.equal(at31.depth, 31);
    assert.equal(at31.status, "blocked");
    assert.match(
      at31.blocked ?? "",
      /Backups of VM app01 are blocked: its snapshot chain is 31 deep.*limit of 32/,
    );
    assert.ok(
      !at31.warnings.some((w) => w.kind === "deep-chain"),
      "the block already says the chain is deep",
    );
    assert.match(at31.summary, /backup blocked$/);
  });

  it("when vSphere does not name the current snapshot, assumes the deepest branch and says so", () => {
    const tree = [snap("base", 5, [snap("a", 4, [snap("a1", 3)]), snap("b", 1)])];
    for (const currentSnapshot of [undefined, "snapshot-gone"]) {
      const vm = currentSnapshot
        ? { vm: "v", rootSnapshots: tree, currentSnapshot }
        : { vm: "v", rootSnapshots: tree };
      const h = chainHealth(vm, NOW);
      assert.equal(h.depth, 3);
      assert.deepEqual(
        h.warnings.map((w) => w.kind),
        ["current-unknown", "deep-chain"],
      );
      assert.ok(h.snapshots.every((n) => !n.onCurrentChain && !n.current));
    }
  });

  it("treats a snapshot from a host clock ahead of ours as new", () => {
    const h = chainHealth(
      { vm: "v", rootSnapshots: [snap("future", -2)], currentSnapshot: "snapshot-future" },
      NOW,
    );
    assert.equal(h.snapshots[0]?.ageMs, 0);
    assert.equal(h.status, "ok");
  });

  it("refuses a snapshot without a valid creation time, naming the VM and snapshot", () => {
    const bad = { name: "x", snapshot: "snapshot-x", createTime: new Date("garbage"), children: [] };
    assert.throws(
      () => chainHealth({ vm: "web01", rootSnapshots: [bad], currentSnapshot: "snapshot-x" }, NOW),
      /snapshot "x" of VM web01/,
    );
  });

  it("keeps the snapshot id when given", () => {
    const tree = [{ ...snap("a", 1), id: 7 }];
    assert.equal(
      chainHealth({ vm: "v", rootSnapshots: tree, currentSnapshot: "snapshot-a" }, NOW).snapshots[0]?.id,
      7,
    );
  });

  it("formats ages for people", () => {
    assert.equal(formatAge(30_000), "less than a minute");
    assert.equal(formatAge(60_000), "1 minute");
    assert.equal(formatAge(45 * 60_000), "45 minutes");
    assert.equal(formatAge(HOUR), "1 hour");
    assert.equal(formatAge(47 * HOUR), "47 hours");
    assert.equal(formatAge(72 * HOUR), "3 days");
  });
});
