import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, readFileSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import {
  CatalogRowError,
  CatalogTooNewError,
  CatalogUnreadableError,
  openCatalog,
  setCatalogAside,
} from "../../main/catalog/catalog.js";
import { openCatalogDb } from "../../main/catalog/catalog-db.js";
import { MIGRATIONS, type Migration } from "../../main/catalog/migrations.js";
import { SnapferryError } from "../../main/common/errors.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("catalog-db");
after(tmp.cleanup);
let counter = 0;
const freshFile = (): string => path.join(tmp.dir, `c${++counter}`, "catalog.sqlite");
const LATEST = MIGRATIONS.length;

function rawVersion(file: string): number {
  const db = new Database(file);
  try {
    return Number(db.pragma("user_version", { simple: true }));
  } finally {
    db.close();
  }
}

const sampleRepo = {
  repositoryId: "0123456789abcdef",
  name: "usb",
  path: "/media/usb/repo",
  encryption: "aes256gcm" as const,
  chunkSize: 1 << 20,
};

describe("catalog file", () => {
  it("creates every table from an empty file, in WAL mode with foreign keys on, readable by its owner only", () => {
    const file = freshFile();
    const db = openCatalogDb(file);
    try {
      assert.equal(db.pragma("user_version", { simple: true }), LATEST);
      assert.equal(db.pragma("journal_mode", { simple: true }), "wal");
      assert.equal(db.pragma("foreign_keys", { simple: true }), 1);
      assert.ok(Number(db.pragma("busy_timeout", { simple: true })) >= 1000);
      const tables = db
        .prepare<[], { name: string }>("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")
        .all()
        .map((r) => r.name);
      for (const t of ["jobs", "repositories", "restore_points", "run_logs", "runs", "sources"]) {
        assert.ok(tables.includes(t), `table ${t} in ${tables.join(", ")}`);
      }
    } finally {
      db.close();
    }
    if (process.platform !== "win32") assert.equal(statSync(file).mode & 0o077, 0);
  });

  it("keeps its data when reopened, and migrates nothing twice", () => {
    const file = freshFile();
    const first = openCatalog(file);
    first.repositories.upsert(sampleRepo);
    first.close();
    const second = openCatalog(file);
    assert.deepEqual(
      second.repositories.list().map((r) => r.path),
      [sampleRepo.path],
    );
    second.close();
    assert.equal(rawVersion(file), LATEST);
  });

  it("applies a later migration step to an existing file and keeps its rows", () => {
    const file = freshFile();
    openCatalogDb(file).close();
    const step: Migration = {
      version: LATEST + 1,
      description: "test: a notes table",
      up: (db) => db.exec("CREATE TABLE notes (text TEXT NOT NULL)"),
    };
    const catalog = openCatalog(file);
    catalog.repositories.upsert(sampleRepo);
    catalog.close();
    const db = openCatalogDb(file, [...MIGRATIONS, step]);
    try {
      assert.equal(db.pragma("user_version", { simple: true }), LATEST + 1);
      db.prepare("INSERT INTO notes (text) VALUES ('x')").run();
      const row = db.prepare<[], { path: string }>("SELECT path FROM repositories").get();
      assert.equal(row?.path, sampleRepo.path);
    } finally {
      db.close();
    }
  });

  it("rolls a failing migration back whole, leaving the previous version", () => {
    const file = freshFile();
    openCatalogDb(file).close();
    const broken: Migration = {
      version: LATEST + 1,
      description: "test: fails halfway",
      up: (db) => {
        db.exec("CREATE TABLE half (x INTEGER)");
        throw new Error("step failed halfway");
      },
    };
    assert.throws(() => openCatalogDb(file, [...MIGRATIONS, broken]), /step failed halfway/);
    assert.equal(rawVersion(file), LATEST);
    const db = new Database(file);
    try {
      assert.equal(db.prepare("SELECT name FROM sqlite_master WHERE name = 'half'").get(), undefined);
    } finally {
      db.close();
    }
  });

  it("refuses a file from a newer Snapferry, naming both versions, and leaves it untouched", () => {
    const file = freshFile();
    openCatalog(file).close();
    const db = new Database(file);
    db.pragma("journal_mode = DELETE");
    db.pragma(`user_version = ${LATEST + 41}`);
    db.close();
    const before = readFileSync(file);
    assert.throws(
      () => openCatalog(file),
      (err: unknown) => {
        assert.ok(err instanceof CatalogTooNewError);
        assert.equal(err.code, "config");
        assert.match(
          err.message,
          new RegExp(
            `schema version ${LATEST + 41}, newer than this Snapferry knows \\(version ${LATEST}\\)`,
          ),
        );
        assert.ok(err.message.includes(file));
        return true;
      },
    );
    assert.deepEqual(readFileSync(file), before);
    assert.equal(existsSync(`${file}-wal`), false);
  });

  it("refuses a file that is not SQLite, naming it, and a fresh catalog starts once it is set aside", () => {
    const file = freshFile();
    openCatalog(file).close();
    const garbage = randomBytes(8192);
    writeFileSync(file, garbage);
    assert.throws(
      () => openCatalog(file),
      (err: unknown) => {
        assert.ok(err instanceof CatalogUnreadableError);
        assert.equal(err.file, file);
        assert.ok(err.message.includes(file), err.message);
        assert.match(err.hint ?? "", /cache/);
        assert.match(err.hint ?? "", /Open existing repository/);
        return true;
      },
    );
    const aside = setCatalogAside(file);
    assert.equal(existsSync(file), false);
    assert.deepEqual(readFileSync(aside), garbage);
    const fresh = openCatalog(file);
    assert.deepEqual(fresh.repositories.list(), []);
    fresh.close();
  });

  it("refuses a SQLite file whose pages are damaged", () => {
    const file = freshFile();
    const catalog = openCatalog(file);
    for (let i = 0; i < 200; i++) {
      catalog.sources.add({ kind: "local-folder", name: `vm ${i}`, location: `/vms/${i}`, user: null });
    }
    catalog.close();
    const bytes = readFileSync(file);
    const pageSize = bytes.readUInt16BE(16);
    // Keep the header page; scribble over every other page.
    randomBytes(bytes.length - pageSize).copy(bytes, pageSize);
    writeFileSync(file, bytes);
    assert.throws(() => openCatalog(file), CatalogUnreadableError);
  });

  it("moves the -wal and -shm companions aside with the file", () => {
    const file = freshFile();
    const writer = openCatalog(file);
    writer.repositories.upsert(sampleRepo);
    assert.ok(existsSync(`${file}-wal`));
    const aside = setCatalogAside(file);
    writer.close();
    assert.ok(existsSync(`${aside}-wal`));
    assert.equal(existsSync(`${file}-wal`), false);
    assert.equal(existsSync(file), false);
  });

  it("names a damaged JSON column instead of returning it", () => {
    const file = freshFile();
    const catalog = openCatalog(file);
    catalog.jobs.save({ id: "nightly", name: "Nightly", kind: "backup", settings: { sources: ["a"] } });
    const raw = new Database(file);
    raw.prepare("UPDATE jobs SET settings_json = '[1, 2' WHERE id = 'nightly'").run();
    raw.close();
    assert.throws(
      () => catalog.jobs.list(),
      (err: unknown) => err instanceof CatalogRowError && /job nightly/.test(err.message),
    );
    catalog.close();
  });

  it("says which file it cannot open when the path is a folder", () => {
    const dir = path.join(tmp.dir, "a-folder");
    openCatalog(path.join(dir, "x.sqlite")).close();
    assert.throws(
      () => openCatalog(dir),
      (err: unknown) => err instanceof SnapferryError && err.message.includes(dir),
    );
  });
});
