import assert from "node:assert/strict";
import path from "node:path";
import { after, describe, it } from "node:test";
import type { Catalog, CatalogRestorePoint } from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { SnapferryError } from "../../main/common/errors.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("catalog-stores");
after(tmp.cleanup);
let counter = 0;
function fresh(): Catalog {
  return openCatalog(path.join(tmp.dir, `c${++counter}.sqlite`));
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;
const REPO = {
  repositoryId: "aa11bb22cc33dd44",
  name: "Office NAS",
  path: "/mnt/nas/snapferry",
  encryption: "aes256gcm" as const,
  chunkSize: 1 << 20,
};

function point(id: string, time: string, extra: Partial<CatalogRestorePoint> = {}): CatalogRestorePoint {
  return {
    repositoryId: REPO.repositoryId,
    id,
    time,
    type: "full",
    consistency: "crash",
    sourceKind: "vsphere",
    source: "esx1.example:443/vm-42",
    vmUuid: "4211-aaaa",
    vmName: "db01",
    disks: [
      { index: 0, name: "db01.vmdk", size: 8 << 30 },
      { index: 1, name: "db01_1.vmdk", size: 100 << 30 },
    ],
    bytesAdded: 123_456_789,
    verifiedAt: null,
    verifyFailure: null,
    ...extra,
  };
}

function isError(code: string): (err: unknown) => boolean {
  return (err: unknown) => err instanceof SnapferryError && err.code === code;
}

describe("repositories store", () => {
  it("adds, finds again at a new path without a duplicate, touches and removes", () => {
    const catalog = fresh();
    const added = catalog.repositories.upsert(REPO);
    assert.deepEqual({ ...added, addedAt: "" }, { ...REPO, addedAt: "", lastOpenedAt: null });
    assert.ok(!Number.isNaN(Date.parse(added.addedAt)));

    const moved = catalog.repositories.upsert({ ...REPO, path: "/media/usb/snapferry" });
    assert.equal(moved.path, "/media/usb/snapferry");
    assert.equal(moved.addedAt, added.addedAt);
    assert.equal(catalog.repositories.list().length, 1);

    catalog.repositories.touch(REPO.repositoryId);
    assert.ok(catalog.repositories.get(REPO.repositoryId)?.lastOpenedAt);
    assert.throws(() => catalog.repositories.touch("nope"), isError("not-found"));

    catalog.restorePoints.replaceAll(REPO.repositoryId, [point("p1", "2026-01-01T00:00:00Z")]);
    assert.equal(catalog.repositories.remove(REPO.repositoryId), true);
    assert.equal(catalog.repositories.remove(REPO.repositoryId), false);
    assert.equal(catalog.repositories.get(REPO.repositoryId), undefined);
    // Its cached restore points go with it.
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), []);
    catalog.close();
  });
});

describe("sources store", () => {
  it("round-trips each kind with a random id, refuses the same place twice, and removes", () => {
    const catalog = fresh();
    const esx = catalog.sources.add({
      kind: "vsphere",
      name: "esx1",
      location: "esx1.lan:443",
      user: "root",
    });
    const folder = catalog.sources.add({ kind: "local-folder", name: "VMs", location: "/vms", user: null });
    assert.match(esx.id, UUID);
    assert.notEqual(esx.id, folder.id);
    assert.deepEqual(catalog.sources.get(esx.id), esx);
    assert.deepEqual(
      catalog.sources.list().map((s) => [s.kind, s.name, s.location, s.user]),
      [
        ["local-folder", "VMs", "/vms", null],
        ["vsphere", "esx1", "esx1.lan:443", "root"],
      ],
    );
    assert.throws(
      () => catalog.sources.add({ kind: "vsphere", name: "again", location: "esx1.lan:443", user: "admin" }),
      (err: unknown) => isError("usage")(err) && /already a source \(named "esx1"\)/.test(String(err)),
    );
    assert.equal(catalog.sources.remove(esx.id), true);
    assert.equal(catalog.sources.remove(esx.id), false);
    assert.equal(catalog.sources.get(esx.id), undefined);
    catalog.close();
  });
});

describe("restore points store", () => {
  it("round-trips a repository's list, oldest first, and marks points verified", () => {
    const catalog = fresh();
    catalog.repositories.upsert(REPO);
    const later = point("p2", "2026-02-01T00:00:00Z", {
      type: "incremental",
      bytesAdded: null,
      vmUuid: null,
      vmName: null,
    });
    const earlier = point("p1", "2026-01-01T00:00:00Z", { consistency: "application" });
    catalog.restorePoints.replaceAll(REPO.repositoryId, [later, earlier]);
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), [earlier, later]);
    catalog.restorePoints.markVerified(REPO.repositoryId, ["p2", "unknown"], "2026-03-01T00:00:00Z");
    assert.deepEqual(
      catalog.restorePoints.list(REPO.repositoryId).map((p) => p.verifiedAt),
      [null, "2026-03-01T00:00:00Z"],
    );
    assert.deepEqual(catalog.restorePoints.list("another"), []);
    catalog.close();
  });

  it("records a failed verification until a later one succeeds, and keeps the last success", () => {
    const catalog = fresh();
    catalog.repositories.upsert(REPO);
    catalog.restorePoints.replaceAll(REPO.repositoryId, [point("p1", "2026-01-01T00:00:00Z")]);
    const state = (): [string | null, unknown] => {
      const p = catalog.restorePoints.list(REPO.repositoryId)[0];
      return [p?.verifiedAt ?? null, p?.verifyFailure ?? null];
    };
    catalog.restorePoints.recordVerification(REPO.repositoryId, "p1", {
      at: "2026-03-01T00:00:00Z",
      ok: true,
    });
    const reason = "disk 0 (sda) at offset 1048576: chunk 1a2b… is damaged";
    catalog.restorePoints.recordVerification(REPO.repositoryId, "p1", {
      at: "2026-03-02T00:00:00Z",
      ok: false,
      reason,
    });
    assert.deepEqual(state(), ["2026-03-01T00:00:00Z", { at: "2026-03-02T00:00:00Z", reason }]);
    // A refresh from the repository keeps what only this machine knows.
    const cached = catalog.restorePoints.list(REPO.repositoryId);
    catalog.restorePoints.replaceAll(REPO.repositoryId, cached);
    assert.deepEqual(state(), ["2026-03-01T00:00:00Z", { at: "2026-03-02T00:00:00Z", reason }]);
    catalog.restorePoints.recordVerification(REPO.repositoryId, "p1", {
      at: "2026-03-03T00:00:00Z",
      ok: true,
    });
    assert.deepEqual(state(), ["2026-03-03T00:00:00Z", null]);
    catalog.close();
  });

  it("replaces atomically: a failing insert leaves the old list", () => {
    const catalog = fresh();
    catalog.repositories.upsert(REPO);
    const old = [point("p1", "2026-01-01T00:00:00Z"), point("p2", "2026-01-02T00:00:00Z")];
    catalog.restorePoints.replaceAll(REPO.repositoryId, old);

    // The same id twice: the second insert breaks the primary key after the delete and one insert ran.
    const duplicate = [point("p3", "2026-01-03T00:00:00Z"), point("p3", "2026-01-04T00:00:00Z")];
    assert.throws(() => catalog.restorePoints.replaceAll(REPO.repositoryId, duplicate), /UNIQUE|PRIMARY/);
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), old);

    const bad = { ...point("p4", "2026-01-04T00:00:00Z"), type: "weekly" } as unknown as CatalogRestorePoint;
    assert.throws(
      () => catalog.restorePoints.replaceAll(REPO.repositoryId, [point("p5", "2026-01-05T00:00:00Z"), bad]),
      /CHECK/,
    );
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), old);

    const foreign = point("p6", "2026-01-06T00:00:00Z", { repositoryId: "someone-else" });
    assert.throws(
      () => catalog.restorePoints.replaceAll(REPO.repositoryId, [foreign]),
      /belongs to repository someone-else/,
    );
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), old);

    catalog.restorePoints.replaceAll(REPO.repositoryId, []);
    assert.deepEqual(catalog.restorePoints.list(REPO.repositoryId), []);
    catalog.close();
  });

  it("refuses restore points of a repository it does not know", () => {
    const catalog = fresh();
    assert.throws(
      () => catalog.restorePoints.replaceAll(REPO.repositoryId, [point("p1", "2026-01-01T00:00:00Z")]),
      /FOREIGN KEY/,
    );
    catalog.close();
  });
});

describe("jobs store", () => {
  it("saves, updates keeping the creation time, lists and removes", () => {
    const catalog = fresh();
    const settings = {
      sources: ["src-1", "src-2"],
      repositoryId: REPO.repositoryId,
      type: "incremental",
      gfs: { daily: 7 },
    };
    const saved = catalog.jobs.save({ id: "nightly", name: "Nightly", kind: "backup", settings });
    assert.deepEqual(saved.settings, settings);
    const updated = catalog.jobs.save({
      id: "nightly",
      name: "Nightly (all)",
      kind: "backup",
      settings: { sources: [] },
    });
    assert.equal(updated.createdAt, saved.createdAt);
    assert.equal(updated.name, "Nightly (all)");
    assert.deepEqual(updated.settings, { sources: [] });
    const imported = catalog.jobs.save({
      id: "check",
      name: "Check",
      kind: "check",
      settings: {},
      createdAt: "2020-01-01T00:00:00.000Z",
    });
    assert.equal(imported.createdAt, "2020-01-01T00:00:00.000Z");
    assert.deepEqual(
      catalog.jobs.list().map((j) => j.id),
      ["check", "nightly"],
    );
    assert.deepEqual(catalog.jobs.get("nightly"), updated);
    assert.equal(catalog.jobs.remove("nightly"), true);
    assert.equal(catalog.jobs.remove("nightly"), false);
    assert.equal(catalog.jobs.get("nightly"), undefined);
    catalog.close();
  });

  it("refuses settings that carry a secret, at any depth, and accepts a flag about one", () => {
    const catalog = fresh();
    for (const settings of [
      { password: "hunter2" },
      { target: { vsphere: { apiToken: "abc" } } },
      { list: [{ secret: 1 }] },
    ]) {
      assert.throws(
        () => catalog.jobs.save({ id: "j", name: "J", kind: "backup", settings }),
        isError("usage"),
      );
    }
    assert.equal(catalog.jobs.get("j"), undefined);
    catalog.jobs.save({ id: "j", name: "J", kind: "backup", settings: { rememberPassword: true } });
    catalog.close();
  });
});
