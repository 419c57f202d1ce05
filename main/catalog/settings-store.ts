/** App settings by key (email reports, the waiting digest): JSON values, never a secret. */
import type { Database } from "better-sqlite3";
import { SnapferryError } from "../common/errors.js";
import { CatalogUnreadableError } from "./catalog-errors.js";
import type { Catalog } from "./catalog-api.js";
import { findSecretKey } from "./columns.js";

export function settingsStore(db: Database): Catalog["settings"] {
  const getRow = db.prepare<[string], { value_json: string }>(
    "SELECT value_json FROM app_settings WHERE key = ?",
  );
  const setRow = db.prepare<[string, string]>(`
    INSERT INTO app_settings (key, value_json) VALUES (?, ?)
    ON CONFLICT (key) DO UPDATE SET value_json = excluded.value_json`);
  const removeRow = db.prepare<[string]>("DELETE FROM app_settings WHERE key = ?");
  return {
    get(key) {
      const row = getRow.get(key);
      if (!row) return undefined;
      try {
        return JSON.parse(row.value_json) as unknown;
      } catch {
        throw new CatalogUnreadableError(db.name, `setting ${key} is not JSON`);
      }
    },
    set(key, value) {
      const secret = findSecretKey(value);
      if (secret) {
        throw new SnapferryError(
          "usage",
          `setting ${key} has a field named ${secret}: the catalog never stores secrets`,
          "Keep passwords in the keychain.",
        );
      }
      setRow.run(key, JSON.stringify(value));
    },
    remove(key) {
      removeRow.run(key);
    },
  };
}
