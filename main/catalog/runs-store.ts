/**
 * Run history: one row per backup, restore, check or prune, with its log lines. Several processes
 * (the app, a CLI) write here at once, so each run records which process owns it: only a run whose
 * owner is gone counts as abandoned.
 */
import type { Database } from "better-sqlite3";
import { randomUUID } from "node:crypto";
import { SnapferryError, errnoCode } from "../common/errors.js";
import type { Catalog, CatalogRun, RunLogLine, RunStatus } from "./catalog-api.js";
import { enumColumn } from "./columns.js";
import { JOB_KINDS } from "./jobs-store.js";

interface RunRow {
  id: string;
  job_id: string | null;
  kind: string;
  title: string;
  status: string;
  started_at: string;
  finished_at: string | null;
  bytes_read: number;
  bytes_stored: number;
  restore_point_id: string | null;
  repository_id: string | null;
  error: string | null;
  owner_pid: number;
  owner_instance: string;
}

interface LogRow {
  run_id: string;
  time: string;
  level: string;
  message: string;
}

const STATUSES: readonly RunStatus[] = ["running", "succeeded", "failed", "cancelled"];
const LEVELS: readonly RunLogLine["level"][] = ["info", "warn", "error"];
const DEFAULT_LIMIT = 100;

/** The Catalog instances open in this process: their runs are alive even though the pid is ours. */
const liveInstances = new Set<string>();

export function runsStore(db: Database, instance: string): Catalog["runs"] & { close(): void } {
  liveInstances.add(instance);
  // rowid breaks ties between runs started in the same millisecond, and orders log lines.
  const getRow = db.prepare<[string], RunRow>("SELECT * FROM runs WHERE id = ?");
  // NULL parameters switch a filter off; `text` matches the title or any line of the run's log
  // (a VM's name is in both), LIKE's wildcards in it escaped.
  const listRows = db.prepare<
    { job: string | null; status: string | null; text: string | null; limit: number },
    RunRow
  >(`
    SELECT * FROM runs
    WHERE (@job IS NULL OR job_id = @job)
      AND (@status IS NULL OR status = @status)
      AND (@text IS NULL OR title LIKE @text ESCAPE '\\'
           OR EXISTS (SELECT 1 FROM run_logs WHERE run_logs.run_id = runs.id AND message LIKE @text ESCAPE '\\'))
    ORDER BY started_at DESC, rowid DESC LIMIT @limit`);
  const insertRow = db.prepare<[RunRow]>(`
    INSERT INTO runs (id, job_id, kind, title, status, started_at, finished_at, bytes_read, bytes_stored,
      restore_point_id, repository_id, error, owner_pid, owner_instance)
    VALUES (@id, @job_id, @kind, @title, @status, @started_at, @finished_at, @bytes_read, @bytes_stored,
      @restore_point_id, @repository_id, @error, @owner_pid, @owner_instance)`);
  const finishRow = db.prepare<
    [
      Pick<
        RunRow,
        "id" | "status" | "finished_at" | "bytes_read" | "bytes_stored" | "restore_point_id" | "error"
      >,
    ]
  >(`
    UPDATE runs SET status = @status, finished_at = @finished_at, bytes_read = @bytes_read,
      bytes_stored = @bytes_stored, restore_point_id = @restore_point_id, error = @error
    WHERE id = @id`);
  const insertLog = db.prepare<[LogRow]>(
    "INSERT INTO run_logs (run_id, time, level, message) VALUES (@run_id, @time, @level, @message)",
  );
  const listLogs = db.prepare<[string], LogRow>("SELECT * FROM run_logs WHERE run_id = ? ORDER BY rowid");
  const running = db.prepare<[], RunRow>("SELECT * FROM runs WHERE status = 'running'");
  const failRow = db.prepare<[string, string, string]>(
    "UPDATE runs SET status = 'failed', finished_at = ?, error = ? WHERE id = ? AND status = 'running'",
  );

  const fromRow = (row: RunRow): CatalogRun => ({
    id: row.id,
    jobId: row.job_id,
    kind: enumColumn(db.name, `run ${row.id}`, JOB_KINDS, row.kind),
    title: row.title,
    status: enumColumn(db.name, `run ${row.id}`, STATUSES, row.status),
    startedAt: row.started_at,
    finishedAt: row.finished_at,
    bytesRead: row.bytes_read,
    bytesStored: row.bytes_stored,
    restorePointId: row.restore_point_id,
    repositoryId: row.repository_id,
    error: row.error,
  });
  const get = (id: string): CatalogRun | undefined => {
    const row = getRow.get(id);
    return row ? fromRow(row) : undefined;
  };
  const mustGet = (id: string): CatalogRun => {
    const run = get(id);
    if (!run) throw new SnapferryError("not-found", `run ${id} is not in the catalog`);
    return run;
  };

  const failAbandoned = db.transaction((reason: string): number => {
    const now = new Date().toISOString();
    let failed = 0;
    for (const row of running.all()) {
      if (ownerAlive(row)) continue;
      failed += failRow.run(now, reason, row.id).changes;
    }
    return failed;
  });

  return {
    start(run) {
      const row: RunRow = {
        id: randomUUID(),
        job_id: run.jobId,
        kind: run.kind,
        title: run.title,
        status: "running",
        started_at: new Date().toISOString(),
        finished_at: null,
        bytes_read: 0,
        bytes_stored: 0,
        restore_point_id: null,
        repository_id: run.repositoryId,
        error: null,
        owner_pid: process.pid,
        owner_instance: instance,
      };
      insertRow.run(row);
      return fromRow(row);
    },
    // The owner has the last word: a run another process wrongly took for abandoned is corrected.
    finish(id, result) {
      const changes = finishRow.run({
        id,
        status: result.status,
        finished_at: new Date().toISOString(),
        bytes_read: result.bytesRead,
        bytes_stored: result.bytesStored,
        restore_point_id: result.restorePointId,
        error: result.error,
      }).changes;
      if (changes === 0) mustGet(id);
      return mustGet(id);
    },
    list(options = {}) {
      // SQLite reads a negative LIMIT as none at all.
      const limit = Math.max(0, Math.floor(options.limit ?? DEFAULT_LIMIT));
      const text = options.text ? `%${options.text.replace(/[\\%_]/g, (c) => `\\${c}`)}%` : null;
      const rows = listRows.all({ job: options.jobId ?? null, status: options.status ?? null, text, limit });
      return rows.map(fromRow);
    },
    get,
    log(line) {
      try {
        insertLog.run({ run_id: line.runId, time: line.time, level: line.level, message: line.message });
      } catch (err) {
        if (errnoCode(err) === "SQLITE_CONSTRAINT_FOREIGNKEY") mustGet(line.runId);
        throw err;
      }
    },
    logs: (runId) =>
      listLogs.all(runId).map((row) => ({
        runId: row.run_id,
        time: row.time,
        level: enumColumn(db.name, `log line of run ${row.run_id}`, LEVELS, row.level),
        message: row.message,
      })),
    failAbandoned: (reason) => failAbandoned.immediate(reason),
    close: () => liveInstances.delete(instance),
  };
}

function ownerAlive(row: RunRow): boolean {
  if (!Number.isInteger(row.owner_pid) || row.owner_pid <= 0) return false; // kill(0) means our group
  if (row.owner_pid === process.pid) return liveInstances.has(row.owner_instance);
  try {
    process.kill(row.owner_pid, 0);
    return true;
  } catch (err) {
    // EPERM: the process exists but belongs to someone else.
    return errnoCode(err) === "EPERM";
  }
}
