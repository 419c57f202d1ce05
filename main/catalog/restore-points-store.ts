/**
 * The cached restore-point list of each repository: what the app shows without unlocking the
 * repository. Always replaced as a whole from a fresh listing (rebuild.ts).
 */
import type { Database } from "better-sqlite3";
import * as v from "valibot";
import { SnapferryError } from "../common/errors.js";
import type { Catalog, CatalogRestorePoint } from "./catalog-api.js";
import { enumColumn, jsonColumn } from "./columns.js";

interface RestorePointRow {
  repository_id: string;
  id: string;
  time: string;
  type: string;
  consistency: string;
  source_kind: string;
  source: string;
  vm_uuid: string | null;
  vm_name: string | null;
  disks_json: string;
  bytes_added: number | null;
  verified_at: string | null;
  verify_failed_at: string | null;
  verify_error: string | null;
}

const count = v.pipe(v.number(), v.integer(), v.minValue(0));
const disksSchema = v.array(v.object({ index: count, name: v.string(), size: count }));
const TYPES = ["full", "incremental", "differential"] as const;
const CONSISTENCIES = ["crash", "application"] as const;

export function restorePointsStore(db: Database): Catalog["restorePoints"] {
  const listRows = db.prepare<[string], RestorePointRow>(
    "SELECT * FROM restore_points WHERE repository_id = ? ORDER BY time, id",
  );
  const deleteAll = db.prepare<[string]>("DELETE FROM restore_points WHERE repository_id = ?");
  const insertRow = db.prepare<[RestorePointRow]>(`
    INSERT INTO restore_points (repository_id, id, time, type, consistency, source_kind, source,
      vm_uuid, vm_name, disks_json, bytes_added, verified_at, verify_failed_at, verify_error)
    VALUES (@repository_id, @id, @time, @type, @consistency, @source_kind, @source,
      @vm_uuid, @vm_name, @disks_json, @bytes_added, @verified_at, @verify_failed_at, @verify_error)`);
  const verify = db.prepare<[string, string, string]>(
    "UPDATE restore_points SET verified_at = ?, verify_failed_at = NULL, verify_error = NULL WHERE repository_id = ? AND id = ?",
  );
  const fail = db.prepare<[string, string, string, string]>(
    "UPDATE restore_points SET verify_failed_at = ?, verify_error = ? WHERE repository_id = ? AND id = ?",
  );

  const fromRow = (row: RestorePointRow): CatalogRestorePoint => {
    const what = `restore point ${row.id} of repository ${row.repository_id}`;
    return {
      repositoryId: row.repository_id,
      id: row.id,
      time: row.time,
      type: enumColumn(db.name, what, TYPES, row.type),
      consistency: enumColumn(db.name, what, CONSISTENCIES, row.consistency),
      sourceKind: row.source_kind,
      source: row.source,
      vmUuid: row.vm_uuid,
      vmName: row.vm_name,
      disks: jsonColumn(db.name, `${what} (disks)`, disksSchema, row.disks_json),
      bytesAdded: row.bytes_added,
      verifiedAt: row.verified_at,
      verifyFailure:
        row.verify_failed_at !== null && row.verify_error !== null
          ? { at: row.verify_failed_at, reason: row.verify_error }
          : null,
    };
  };

  const replaceAll = db.transaction((repositoryId: string, points: CatalogRestorePoint[]) => {
    deleteAll.run(repositoryId);
    for (const point of points) {
      if (point.repositoryId !== repositoryId) {
        throw new SnapferryError(
          "internal",
          `restore point ${point.id} belongs to repository ${point.repositoryId}, not ${repositoryId}`,
        );
      }
      insertRow.run(toRow(point));
    }
  });
  const markVerified = db.transaction((repositoryId: string, ids: string[], at: string) => {
    for (const id of ids) verify.run(at, repositoryId, id);
  });

  return {
    list: (repositoryId) => listRows.all(repositoryId).map(fromRow),
    // IMMEDIATE takes the write lock up front, so a concurrent writer waits rather than failing.
    replaceAll: (repositoryId, points) => replaceAll.immediate(repositoryId, points),
    markVerified: (repositoryId, ids, at) => markVerified.immediate(repositoryId, ids, at),
    recordVerification: (repositoryId, id, outcome) => {
      if (outcome.ok) verify.run(outcome.at, repositoryId, id);
      else fail.run(outcome.at, outcome.reason, repositoryId, id);
    },
  };
}

function toRow(point: CatalogRestorePoint): RestorePointRow {
  return {
    repository_id: point.repositoryId,
    id: point.id,
    time: point.time,
    type: point.type,
    consistency: point.consistency,
    source_kind: point.sourceKind,
    source: point.source,
    vm_uuid: point.vmUuid,
    vm_name: point.vmName,
    disks_json: JSON.stringify(point.disks.map((d) => ({ index: d.index, name: d.name, size: d.size }))),
    bytes_added: point.bytesAdded,
    verified_at: point.verifiedAt,
    verify_failed_at: point.verifyFailure?.at ?? null,
    verify_error: point.verifyFailure?.reason ?? null,
  };
}
