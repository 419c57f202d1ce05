/**
 * The catalog's schema, as the list of steps that build it. A step is never edited once released:
 * a change is a new step, so every catalog file on every machine reaches the same schema.
 * `PRAGMA user_version` records the last step applied (catalog-db.ts).
 */
import type { Database } from "better-sqlite3";

export interface Migration {
  /** 1, 2, 3…: the user_version the file has once this step has run. */
  version: number;
  description: string;
  up(db: Database): void;
}

const initialSchema: Migration = {
  version: 1,
  description: "repositories, sources, restore points, jobs, runs and their logs",
  up(db) {
    // CHECK constraints keep a row that another version or a hand edit got wrong from being read
    // as valid; JSON columns are validated on read (columns.ts).
    db.exec(`
      CREATE TABLE repositories (
        repository_id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        path TEXT NOT NULL,
        encryption TEXT NOT NULL CHECK (encryption IN ('aes256gcm', 'none')),
        chunk_size INTEGER NOT NULL CHECK (chunk_size > 0),
        added_at TEXT NOT NULL,
        last_opened_at TEXT
      );

      CREATE TABLE sources (
        id TEXT PRIMARY KEY NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('vsphere', 'local-folder', 'image')),
        name TEXT NOT NULL,
        location TEXT NOT NULL,
        user_name TEXT,
        added_at TEXT NOT NULL,
        UNIQUE (kind, location)
      );

      CREATE TABLE restore_points (
        repository_id TEXT NOT NULL REFERENCES repositories (repository_id) ON DELETE CASCADE,
        id TEXT NOT NULL,
        time TEXT NOT NULL,
        type TEXT NOT NULL CHECK (type IN ('full', 'incremental', 'differential')),
        consistency TEXT NOT NULL CHECK (consistency IN ('crash', 'application')),
        source_kind TEXT NOT NULL,
        source TEXT NOT NULL,
        vm_uuid TEXT,
        vm_name TEXT,
        disks_json TEXT NOT NULL,
        bytes_added INTEGER CHECK (bytes_added >= 0),
        verified_at TEXT,
        PRIMARY KEY (repository_id, id)
      );

      CREATE TABLE jobs (
        id TEXT PRIMARY KEY NOT NULL,
        name TEXT NOT NULL,
        kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore', 'check', 'prune')),
        settings_json TEXT NOT NULL,
        created_at TEXT NOT NULL
      );

      -- History outlives what it refers to: a removed job leaves its runs (job_id set to NULL),
      -- a forgotten repository leaves its id in the runs that used it.
      CREATE TABLE runs (
        id TEXT PRIMARY KEY NOT NULL,
        job_id TEXT REFERENCES jobs (id) ON DELETE SET NULL,
        kind TEXT NOT NULL CHECK (kind IN ('backup', 'restore', 'check', 'prune')),
        title TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('running', 'succeeded', 'failed', 'cancelled')),
        started_at TEXT NOT NULL,
        finished_at TEXT,
        bytes_read INTEGER NOT NULL DEFAULT 0 CHECK (bytes_read >= 0),
        bytes_stored INTEGER NOT NULL DEFAULT 0 CHECK (bytes_stored >= 0),
        restore_point_id TEXT,
        repository_id TEXT,
        error TEXT,
        owner_pid INTEGER NOT NULL,
        owner_instance TEXT NOT NULL
      );
      CREATE INDEX runs_by_start ON runs (started_at);
      CREATE INDEX runs_by_job ON runs (job_id, started_at);
      CREATE INDEX runs_running ON runs (status) WHERE status = 'running';

      CREATE TABLE run_logs (
        run_id TEXT NOT NULL REFERENCES runs (id) ON DELETE CASCADE,
        time TEXT NOT NULL,
        level TEXT NOT NULL CHECK (level IN ('info', 'warn', 'error')),
        message TEXT NOT NULL
      );
      CREATE INDEX run_logs_by_run ON run_logs (run_id);
    `);
  },
};

const verificationFailures: Migration = {
  version: 2,
  description: "restore points remember why their last verification failed",
  up(db) {
    // verified_at keeps the last success; a failure after it is shown (in red) until a later success.
    db.exec(`
      ALTER TABLE restore_points ADD COLUMN verify_failed_at TEXT;
      ALTER TABLE restore_points ADD COLUMN verify_error TEXT;
    `);
  },
};

const scheduleState: Migration = {
  version: 3,
  description: "the last schedule slot each job ran for, so a run missed while off runs once at start",
  up(db) {
    db.exec(`
      CREATE TABLE job_schedule_state (
        job_id TEXT PRIMARY KEY NOT NULL REFERENCES jobs (id) ON DELETE CASCADE,
        last_slot TEXT NOT NULL
      );
    `);
  },
};

const appSettings: Migration = {
  version: 4,
  description: "app settings (email reports, the waiting digest) as JSON by key, never a secret",
  up(db) {
    db.exec(`
      CREATE TABLE app_settings (
        key TEXT PRIMARY KEY NOT NULL,
        value_json TEXT NOT NULL
      );
    `);
  },
};

export const MIGRATIONS: readonly Migration[] = [
  initialSchema,
  verificationFailures,
  scheduleState,
  appSettings,
];
