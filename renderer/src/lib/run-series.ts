/** The history chart's series: repository growth and backup duration, one point per finished backup. */
import type { CatalogRun } from "../../../main/catalog/catalog-api";

export interface Point {
  time: number;
  value: number;
  label: string;
}

export function durationSeconds(run: CatalogRun): number | null {
  if (!run.finishedAt) return null;
  const seconds = (Date.parse(run.finishedAt) - Date.parse(run.startedAt)) / 1000;
  return Number.isFinite(seconds) && seconds >= 0 ? seconds : null;
}

function finishedBackups(runs: readonly CatalogRun[], repositoryId: string | null): CatalogRun[] {
  return runs
    .filter((r) => r.kind === "backup" && r.status === "succeeded" && r.finishedAt)
    .filter((r) => repositoryId === null || r.repositoryId === repositoryId)
    .sort((a, b) => a.startedAt.localeCompare(b.startedAt));
}

/** What backups have added up to: the bytes each stored, summed over time (prunes not subtracted). */
export function growthSeries(runs: readonly CatalogRun[], repositoryId: string | null): Point[] {
  let total = 0;
  return finishedBackups(runs, repositoryId).map((run) => {
    total += run.bytesStored;
    return { time: Date.parse(run.startedAt), value: total, label: run.title };
  });
}

export function durationSeries(runs: readonly CatalogRun[], repositoryId: string | null): Point[] {
  return finishedBackups(runs, repositoryId).flatMap((run) => {
    const seconds = durationSeconds(run);
    return seconds === null ? [] : [{ time: Date.parse(run.startedAt), value: seconds, label: run.title }];
  });
}
