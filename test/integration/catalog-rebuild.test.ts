/**
 * "Open existing repository" on a machine that has never seen it: a real repository made by the
 * services, read into a fresh catalog file, then restored from with nothing but the catalog.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync, readdirSync, renameSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository, refreshRestorePoints } from "../../main/catalog/rebuild.js";
import { SnapferryError } from "../../main/common/errors.js";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { backup, initRepository, restore } from "../../main/services/repository-service.js";
import { makeTempDir } from "../support/tmp.js";

const PASSWORD = "a USB disk's passphrase, 9f3c";
const password = () => Promise.resolve(PASSWORD);
const MiB = 1024 * 1024;

const tmp = makeTempDir("catalog-rebuild");
after(tmp.cleanup);
const image = path.join(tmp.dir, "disk.img");
const firstRepoPath = path.join(tmp.dir, "site-a", "repo");
const movedRepoPath = path.join(tmp.dir, "usb-mount", "snapferry");
let repositoryId = "";
let firstVersion: Buffer = Buffer.alloc(0);

function makeImage(): Buffer {
  const rng = new SeededBytes("catalog-rebuild");
  // Data, a hole and more data: a small disk with something to deduplicate and skip.
  return Buffer.concat([rng.bytes(3 * MiB), Buffer.alloc(2 * MiB), rng.bytes(1 * MiB)]);
}

function freshCatalog(name: string): { catalog: Catalog; file: string } {
  const file = path.join(tmp.dir, "profiles", name, "catalog.sqlite");
  return { catalog: openCatalog(file), file };
}

function isError(code: string, pattern?: RegExp): (err: unknown) => boolean {
  return (err: unknown) =>
    err instanceof SnapferryError && err.code === code && (!pattern || pattern.test(err.message));
}

function holds(file: string, needle: string): boolean {
  return existsSync(file) && readFileSync(file).includes(Buffer.from(needle));
}

before(async () => {
  firstVersion = makeImage();
  writeFileSync(image, firstVersion);
  mkdirSync(path.dirname(firstRepoPath), { recursive: true });
  const created = await initRepository({
    repo: firstRepoPath,
    encryption: "aes256gcm",
    chunkSize: 256 * 1024,
    password,
  });
  repositoryId = created.id;
  await backup({ repo: firstRepoPath, password, source: image });
});

describe("open existing repository", () => {
  it("lists the restore point with its disks in a fresh catalog, and keeps no password", async () => {
    const { catalog, file } = freshCatalog("first");
    const listing = await openExistingRepository(catalog, { path: firstRepoPath, password: PASSWORD });
    assert.equal(listing.repository.repositoryId, repositoryId);
    assert.equal(listing.repository.path, firstRepoPath);
    assert.equal(listing.repository.name, "repo");
    assert.equal(listing.repository.encryption, "aes256gcm");
    assert.equal(listing.repository.chunkSize, 256 * 1024);
    assert.ok(listing.repository.lastOpenedAt);
    assert.deepEqual(listing.damaged, []);
    assert.equal(listing.restorePoints.length, 1);
    const [rp] = listing.restorePoints;
    assert.equal(rp?.type, "full");
    assert.equal(rp?.sourceKind, "image");
    assert.equal(rp?.source, image);
    assert.deepEqual(rp?.disks, [{ index: 0, name: "disk.img", size: firstVersion.length }]);
    // 4 MiB of random data stored, the hole not: a little more (pack overhead), never the 6 MiB.
    assert.ok(rp?.bytesAdded !== null && rp !== undefined, "bytesAdded known");
    assert.ok((rp.bytesAdded ?? 0) > 4 * MiB && (rp.bytesAdded ?? 0) < 5 * MiB, String(rp.bytesAdded));
    assert.deepEqual(catalog.restorePoints.list(repositoryId), listing.restorePoints);

    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(holds(f, PASSWORD), false, f);
    catalog.close();
    assert.equal(holds(file, PASSWORD), false);
    assert.ok(holds(file, repositoryId), "the scan reads the catalog's bytes");
  });

  it("writes nothing when the password is wrong or missing", async () => {
    const { catalog } = freshCatalog("wrong-password");
    await assert.rejects(
      openExistingRepository(catalog, { path: firstRepoPath, password: "not it" }),
      isError("wrong-password"),
    );
    await assert.rejects(
      openExistingRepository(catalog, { path: firstRepoPath }),
      isError("usage", /needs a password/),
    );
    await assert.rejects(
      openExistingRepository(catalog, { path: path.join(tmp.dir, "nothing-here") }),
      isError("repository-not-found"),
    );
    assert.deepEqual(catalog.repositories.list(), []);
    catalog.close();
  });

  it("updates the path of the same disk found elsewhere, refreshes, and restores from the catalog alone", async () => {
    const { catalog } = freshCatalog("moved");
    await openExistingRepository(catalog, { path: firstRepoPath, password, name: "Travel disk" });
    catalog.restorePoints.markVerified(
      repositoryId,
      catalog.restorePoints.list(repositoryId).map((p) => p.id),
      "2026-01-02T03:04:05.000Z",
    );

    mkdirSync(path.dirname(movedRepoPath), { recursive: true });
    renameSync(firstRepoPath, movedRepoPath);
    try {
      const moved = await openExistingRepository(catalog, { path: movedRepoPath, password });
      assert.equal(catalog.repositories.list().length, 1);
      assert.equal(moved.repository.repositoryId, repositoryId);
      assert.equal(moved.repository.path, movedRepoPath);
      assert.equal(moved.repository.name, "Travel disk");
      assert.equal(moved.restorePoints.length, 1);

      // A second backup, then a refresh at the recorded path: verification known here survives.
      const changed = Buffer.from(firstVersion);
      changed.fill(7, 0, 64 * 1024);
      writeFileSync(image, changed);
      await backup({ repo: movedRepoPath, password, source: image });
      const refreshed = await refreshRestorePoints(catalog, repositoryId, PASSWORD);
      assert.deepEqual(
        refreshed.restorePoints.map((p) => [p.type, p.verifiedAt]),
        [
          ["full", "2026-01-02T03:04:05.000Z"],
          ["incremental", null],
        ],
      );
      const [full, incremental] = refreshed.restorePoints;
      assert.ok(
        (incremental?.bytesAdded ?? Infinity) < (full?.bytesAdded ?? 0) / 4,
        "the incremental adds little",
      );

      // Restore with nothing but what the catalog knows: its path and the cached restore point id.
      const repo = catalog.repositories.get(repositoryId);
      assert.ok(repo && full);
      const target = path.join(tmp.dir, "restored.img");
      await restore({ repo: repo.path, password, restorePoint: full.id, target });
      assert.ok(
        readFileSync(target).equals(firstVersion),
        "the restored disk is the first version, bit for bit",
      );
    } finally {
      renameSync(movedRepoPath, firstRepoPath);
    }
    catalog.close();
  });

  it("refuses to refresh from a different repository now at the recorded path", async () => {
    const { catalog } = freshCatalog("swapped");
    const other = path.join(tmp.dir, "other-repo");
    const created = await initRepository({ repo: other, encryption: "none", chunkSize: 256 * 1024 });
    await openExistingRepository(catalog, { path: firstRepoPath, password });
    // The catalog remembers the repository at the other path, as if another disk took its mount point.
    const known = catalog.repositories.get(repositoryId);
    assert.ok(known);
    catalog.repositories.upsert({ ...known, path: other });
    await assert.rejects(
      refreshRestorePoints(catalog, repositoryId, password),
      isError("repository-not-found", new RegExp(`its id is ${created.id}, not ${repositoryId}`)),
    );
    assert.equal(catalog.restorePoints.list(repositoryId).length, 2, "the cached list is kept");
    await assert.rejects(refreshRestorePoints(catalog, "unknown-id", password), isError("not-found"));
    catalog.close();
  });

  it("reports a damaged manifest by id and still lists the others", async () => {
    const { catalog } = freshCatalog("damaged");
    const snapshots = path.join(firstRepoPath, "snapshots");
    const names = readdirSync(snapshots).filter((n) => /^[0-9a-f]{32}$/.test(n));
    assert.equal(names.length, 2, names.join(", "));
    const victim = names[0] ?? "";
    const bytes = readFileSync(path.join(snapshots, victim));
    const original = Buffer.from(bytes);
    bytes[bytes.length - 5] = (bytes[bytes.length - 5] ?? 0) ^ 0xff;
    writeFileSync(path.join(snapshots, victim), bytes);
    try {
      const listing = await openExistingRepository(catalog, { path: firstRepoPath, password });
      assert.deepEqual(
        listing.damaged.map((d) => d.id),
        [victim],
      );
      assert.ok(listing.damaged[0]?.message);
      assert.deepEqual(
        listing.restorePoints.map((p) => p.id),
        names.slice(1),
      );
    } finally {
      writeFileSync(path.join(snapshots, victim), original);
    }
    catalog.close();
  });
});
