import assert from "node:assert/strict";
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import Database from "better-sqlite3";
import type {
  Catalog,
  CatalogJob,
  CatalogRepository,
  CatalogRestorePoint,
  CatalogRun,
  CatalogSource,
  RunLogLine,
} from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("catalog-secrets");
after(tmp.cleanup);

const PASSWORD = "Tr0ub4dor&3-never-stored";
const SECRET_COLUMN = /pass|secret|token|credential|private/i;

/** The keys of T named like a secret; `never` when there are none. */
type SecretKeys<T> = Extract<
  Lowercase<keyof T & string>,
  `${string}password${string}` | `${string}secret${string}` | `${string}token${string}`
>;
type NoSecrets<T> = [SecretKeys<T>] extends [never] ? true : false;

/** Fails to compile when a catalog type or a store's input gains a field named like a secret. */
const apiHasNoSecretFields: [
  NoSecrets<CatalogRepository>,
  NoSecrets<CatalogSource>,
  NoSecrets<CatalogRestorePoint>,
  NoSecrets<CatalogJob>,
  NoSecrets<CatalogRun>,
  NoSecrets<RunLogLine>,
  NoSecrets<Parameters<Catalog["repositories"]["upsert"]>[0]>,
  NoSecrets<Parameters<Catalog["sources"]["add"]>[0]>,
  NoSecrets<Parameters<Catalog["jobs"]["save"]>[0]>,
  NoSecrets<Parameters<Catalog["runs"]["start"]>[0]>,
  NoSecrets<Parameters<Catalog["runs"]["finish"]>[1]>,
] = [true, true, true, true, true, true, true, true, true, true, true];

function contains(file: string, needle: string): boolean {
  return existsSync(file) && readFileSync(file).includes(Buffer.from(needle));
}

describe("no secret in the catalog", () => {
  it("has no field named like a secret in its API", () => {
    assert.ok(apiHasNoSecretFields.every(Boolean));
  });

  it("has no column named like a secret in its schema", () => {
    const file = path.join(tmp.dir, "schema.sqlite");
    openCatalog(file).close();
    const db = new Database(file, { readonly: true });
    try {
      const tables = db
        .prepare<[], string>("SELECT name FROM sqlite_master WHERE type = 'table'")
        .pluck()
        .all();
      assert.ok(tables.length >= 6);
      for (const table of tables) {
        const columns = db
          .prepare<[], string>(`SELECT name FROM pragma_table_info('${table}')`)
          .pluck()
          .all();
        assert.ok(columns.length > 0, table);
        for (const column of columns) assert.doesNotMatch(column, SECRET_COLUMN, `${table}.${column}`);
      }
    } finally {
      db.close();
    }
  });

  it("writes nothing of a password that the API never takes, in the file or its WAL", () => {
    const file = path.join(tmp.dir, "bytes.sqlite");
    const catalog = openCatalog(file);
    catalog.repositories.upsert({
      repositoryId: "r1",
      name: "USB",
      path: "/media/usb/repo",
      encryption: "aes256gcm",
      chunkSize: 1 << 20,
    });
    catalog.sources.add({
      kind: "vsphere",
      name: "vcenter",
      location: "vc.lan:443",
      user: "administrator@vsphere.local",
    });
    catalog.jobs.save({ id: "j", name: "Nightly", kind: "backup", settings: { rememberPassword: true } });
    const run = catalog.runs.start({ jobId: "j", kind: "backup", title: "Nightly", repositoryId: "r1" });
    catalog.runs.log({
      runId: run.id,
      time: new Date().toISOString(),
      level: "info",
      message: "connected as administrator",
    });

    assert.ok(contains(`${file}-wal`, "administrator@vsphere.local"), "the scan reads the WAL");
    for (const f of [file, `${file}-wal`, `${file}-shm`]) assert.equal(contains(f, PASSWORD), false, f);
    catalog.close();
    assert.ok(contains(file, "administrator@vsphere.local"), "the scan reads the file");
    assert.equal(contains(file, PASSWORD), false);
  });
});
