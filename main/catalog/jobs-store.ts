/** Job definitions: what to back up, check or prune, where, and how. Never a password. */
import type { Database } from "better-sqlite3";
import * as v from "valibot";
import { SnapferryError } from "../common/errors.js";
import type { Catalog, CatalogJob, JobKind } from "./catalog-api.js";
import { enumColumn, findSecretKey, jsonColumn } from "./columns.js";

interface JobRow {
  id: string;
  name: string;
  kind: string;
  settings_json: string;
  created_at: string;
}

export const JOB_KINDS: readonly JobKind[] = ["backup", "restore", "check", "prune"];
const settingsSchema = v.record(v.string(), v.unknown());

export function jobsStore(db: Database): Catalog["jobs"] {
  const listRows = db.prepare<[], JobRow>("SELECT * FROM jobs ORDER BY name, id");
  const getRow = db.prepare<[string], JobRow>("SELECT * FROM jobs WHERE id = ?");
  // A saved job keeps its creation time unless the caller sets one (an import, say).
  const upsertRow = db.prepare<[JobRow & { keep_created: number }]>(`
    INSERT INTO jobs (id, name, kind, settings_json, created_at)
    VALUES (@id, @name, @kind, @settings_json, @created_at)
    ON CONFLICT (id) DO UPDATE SET
      name = excluded.name, kind = excluded.kind, settings_json = excluded.settings_json,
      created_at = CASE WHEN @keep_created THEN jobs.created_at ELSE excluded.created_at END`);
  const removeRow = db.prepare<[string]>("DELETE FROM jobs WHERE id = ?");
  const slotRow = db.prepare<[string], { last_slot: string }>(
    "SELECT last_slot FROM job_schedule_state WHERE job_id = ?",
  );
  const setSlot = db.prepare<[string, string]>(`
    INSERT INTO job_schedule_state (job_id, last_slot) VALUES (?, ?)
    ON CONFLICT (job_id) DO UPDATE SET last_slot = excluded.last_slot`);

  const fromRow = (row: JobRow): CatalogJob => ({
    id: row.id,
    name: row.name,
    kind: enumColumn(db.name, `job ${row.id}`, JOB_KINDS, row.kind),
    settings: jsonColumn(db.name, `job ${row.id} (settings)`, settingsSchema, row.settings_json),
    createdAt: row.created_at,
  });
  const get = (id: string): CatalogJob | undefined => {
    const row = getRow.get(id);
    return row ? fromRow(row) : undefined;
  };

  return {
    list: () => listRows.all().map(fromRow),
    get,
    save(job) {
      const secret = findSecretKey(job.settings);
      if (secret) {
        throw new SnapferryError(
          "usage",
          `job "${job.name}" has a setting named ${secret}: the catalog never stores secrets`,
          "Keep passwords in the keychain and refer to them by the source or repository id.",
        );
      }
      upsertRow.run({
        id: job.id,
        name: job.name,
        kind: job.kind,
        settings_json: JSON.stringify(job.settings),
        created_at: job.createdAt ?? new Date().toISOString(),
        keep_created: job.createdAt === undefined ? 1 : 0,
      });
      const saved = get(job.id);
      if (!saved) throw new SnapferryError("internal", `job ${job.id} was not saved`);
      return saved;
    },
    remove: (id) => removeRow.run(id).changes > 0,
    lastSlot: (id) => slotRow.get(id)?.last_slot ?? null,
    setLastSlot: (id, slot) => {
      setSlot.run(id, slot);
    },
  };
}
