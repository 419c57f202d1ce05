/**
 * Opens the catalog's SQLite file: the pragmas that let the app and the CLI share it, a check that
 * it is a sound SQLite file, and the schema migrations. Knows nothing of the tables' meaning.
 */
import BetterSqlite3, { type Database } from "better-sqlite3";
import { closeSync, existsSync, mkdirSync, openSync, renameSync } from "node:fs";
import path from "node:path";
import { SnapferryError, errnoCode } from "../common/errors.js";
import { CatalogTooNewError, CatalogUnreadableError } from "./catalog-errors.js";
import { MIGRATIONS, type Migration } from "./migrations.js";

/**
 * How long a write waits for another process's transaction before giving up. Catalog
 * transactions last milliseconds; a long wait means a stuck process, which should surface.
 */
export const BUSY_TIMEOUT_MS = 10_000;

/** SQLite's answers for a file that is not a database, or one whose pages are damaged. */
const UNREADABLE_CODES = new Set(["SQLITE_NOTADB", "SQLITE_CORRUPT", "SQLITE_CORRUPT_INDEX"]);

export function latestVersion(migrations: readonly Migration[]): number {
  return migrations.at(-1)?.version ?? 0;
}

export function openCatalogDb(file: string, migrations: readonly Migration[] = MIGRATIONS): Database {
  checkMigrationList(migrations);
  createPrivately(file);
  let db: Database;
  try {
    db = new BetterSqlite3(file, { timeout: BUSY_TIMEOUT_MS });
  } catch (err) {
    throw explainOpenError(file, err);
  }
  try {
    // Before anything writes to it: a newer app's file must stay exactly as that app left it.
    const found = userVersion(db);
    const known = latestVersion(migrations);
    if (found > known) throw new CatalogTooNewError(file, found, known);
    // WAL lets readers and one writer work at once, so the app and a CLI share the file; NORMAL
    // sync is safe against corruption in WAL mode and only risks the last commits on power loss:
    // a few seconds of history, against an fsync on every log line.
    db.pragma("journal_mode = WAL");
    db.pragma("synchronous = NORMAL");
    db.pragma("foreign_keys = ON");
    checkIntegrity(db, file);
    migrate(db, file, migrations);
    return db;
  } catch (err) {
    db.close();
    throw explainOpenError(file, err);
  }
}

/**
 * Moves an unusable catalog (and its -wal and -shm companions) aside, so that the next open
 * starts a fresh one. Returns where the main file went; nothing is deleted.
 */
export function setCatalogAside(file: string, now = new Date()): string {
  const stamp = now.toISOString().replace(/[:.]/g, "-");
  const aside = `${file}.unreadable-${stamp}`;
  for (const suffix of ["-wal", "-shm", ""]) {
    try {
      renameSync(file + suffix, aside + suffix);
    } catch (err) {
      if (errnoCode(err) !== "ENOENT") throw err;
    }
  }
  return aside;
}

function checkMigrationList(migrations: readonly Migration[]): void {
  migrations.forEach((m, i) => {
    if (m.version !== i + 1)
      throw new Error(`catalog migration ${m.description} has version ${m.version}, not ${i + 1}`);
  });
}

/** The catalog names servers, users and paths: only its owner should read it. */
function createPrivately(file: string): void {
  mkdirSync(path.dirname(file), { recursive: true });
  if (existsSync(file)) return;
  try {
    closeSync(openSync(file, "a", 0o600));
  } catch (err) {
    throw explainOpenError(file, err);
  }
}

function checkIntegrity(db: Database, file: string): void {
  const rows = db.pragma("quick_check", { simple: false });
  const problems = Array.isArray(rows)
    ? rows.map((r: unknown) => (isRecord(r) ? String(r.quick_check) : String(r))).filter((s) => s !== "ok")
    : ["no answer from quick_check"];
  if (problems.length > 0)
    throw new CatalogUnreadableError(file, `SQLite reports damage (${problems.slice(0, 3).join("; ")})`);
}

function userVersion(db: Database): number {
  const value = db.pragma("user_version", { simple: true });
  return typeof value === "number" ? value : 0;
}

/**
 * Each step runs in its own IMMEDIATE transaction that rereads the version first, so two
 * processes opening a new file at once apply every step exactly once, and a failed step leaves the
 * file at the previous version.
 */
function migrate(db: Database, file: string, migrations: readonly Migration[]): void {
  const known = latestVersion(migrations);
  const found = userVersion(db);
  for (const migration of migrations) {
    if (migration.version <= found) continue;
    db.transaction(() => {
      const current = userVersion(db);
      if (current > known) throw new CatalogTooNewError(file, current, known);
      if (current >= migration.version) return;
      migration.up(db);
      db.pragma(`user_version = ${migration.version}`);
    }).immediate();
  }
}

function explainOpenError(file: string, err: unknown): unknown {
  if (err instanceof SnapferryError) return err;
  const code = errnoCode(err);
  const message = err instanceof Error ? err.message : String(err);
  if (code && UNREADABLE_CODES.has(code)) return new CatalogUnreadableError(file, message, err);
  if (code === "SQLITE_FULL" || code === "ENOSPC") {
    return new SnapferryError(
      "disk-full",
      `no space left on the device holding the catalog ${file}`,
      "Free some space and start Snapferry again.",
      { cause: err },
    );
  }
  return new SnapferryError(
    "config",
    `cannot open the catalog ${file}: ${message}`,
    "Check that the folder exists and that you may read and write it.",
    { cause: err },
  );
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}
