/** Where VMs come from: vSphere endpoints and local folders or images. Passwords stay in the keychain. */
import type { Database } from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { SnapferryError, errnoCode } from "../common/errors.js";
import type { Catalog, CatalogSource, SourceKind } from "./catalog-api.js";
import { enumColumn } from "./columns.js";

interface SourceRow {
  id: string;
  kind: string;
  name: string;
  location: string;
  user_name: string | null;
  added_at: string;
}

const KINDS: readonly SourceKind[] = ["vsphere", "local-folder", "image"];

export function sourcesStore(db: Database): Catalog["sources"] {
  const listRows = db.prepare<[], SourceRow>("SELECT * FROM sources ORDER BY name, id");
  const getRow = db.prepare<[string], SourceRow>("SELECT * FROM sources WHERE id = ?");
  const findRow = db.prepare<[string, string], SourceRow>(
    "SELECT * FROM sources WHERE kind = ? AND location = ?",
  );
  const insertRow = db.prepare<[SourceRow]>(`
    INSERT INTO sources (id, kind, name, location, user_name, added_at)
    VALUES (@id, @kind, @name, @location, @user_name, @added_at)`);
  const removeRow = db.prepare<[string]>("DELETE FROM sources WHERE id = ?");

  const fromRow = (row: SourceRow): CatalogSource => ({
    id: row.id,
    kind: enumColumn(db.name, `source ${row.id}`, KINDS, row.kind),
    name: row.name,
    location: row.location,
    user: row.user_name,
    addedAt: row.added_at,
  });

  return {
    list: () => listRows.all().map(fromRow),
    get(id) {
      const row = getRow.get(id);
      return row ? fromRow(row) : undefined;
    },
    add(source) {
      const row: SourceRow = {
        id: randomUUID(),
        kind: source.kind,
        name: source.name,
        location: source.location,
        user_name: source.user,
        added_at: new Date().toISOString(),
      };
      try {
        insertRow.run(row);
      } catch (err) {
        const existing = findRow.get(source.kind, source.location);
        if (errnoCode(err) === "SQLITE_CONSTRAINT_UNIQUE" && existing) {
          throw new SnapferryError(
            "usage",
            `${source.location} is already a source (named "${existing.name}")`,
            "Use the existing source, or remove it first to add it again.",
          );
        }
        throw err;
      }
      return fromRow(row);
    },
    remove: (id) => removeRow.run(id).changes > 0,
  };
}
