/** History: every run with its log, and how the repositories grew and backups took over time. */
import { useMemo, useState } from "react";
import { EmptyState } from "../../components/empty-state";
import { ErrorView } from "../../components/error-view";
import { LineChart } from "../../components/line-chart";
import { LogViewer } from "../../components/log-viewer";
import { ProgressView } from "../../components/progress-view";
import { formatBytes, formatDuration } from "../../lib/format";
import { durationSeries, growthSeries } from "../../lib/run-series";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useRunsStore } from "../../stores/runs-store";
import { useUiStore } from "../../stores/ui-store";
import { ExportLogButton } from "./export-log-button";
import { HistoryFilters } from "./history-filters";
import { NO_FILTERS, isFiltered, useFilteredRuns } from "./run-filters";
import { RunTable } from "./run-table";

export function HistoryScreen() {
  const allRuns = useRunsStore((s) => s.runs);
  const loaded = useRunsStore((s) => s.loaded);
  const error = useRunsStore((s) => s.error);
  const repositories = useRepositoriesStore((s) => s.repositories);
  const selectedRun = useUiStore((s) => s.selectedRun);
  const selectRun = useUiStore((s) => s.selectRun);
  const [repositoryId, setRepositoryId] = useState<string | null>(null);
  const [filters, setFilters] = useState(NO_FILTERS);
  const filtered = useFilteredRuns(filters);
  const runs = filtered.runs;
  const growth = useMemo(() => growthSeries(runs, repositoryId), [runs, repositoryId]);
  const durations = useMemo(() => durationSeries(runs, repositoryId), [runs, repositoryId]);
  const selected = runs.find((r) => r.id === selectedRun) ?? allRuns.find((r) => r.id === selectedRun);

  if (loaded && allRuns.length === 0) {
    return (
      <EmptyState title="No runs yet">
        Backups, restores, checks and prunes appear here once they start.
      </EmptyState>
    );
  }
  return (
    <div className="screen">
      <div className="toolbar">
        <h2>History</h2>
        <label>
          Repository{" "}
          <select value={repositoryId ?? ""} onChange={(e) => setRepositoryId(e.target.value || null)}>
            <option value="">All</option>
            {repositories.map((r) => (
              <option key={r.repositoryId} value={r.repositoryId}>
                {r.name}
              </option>
            ))}
          </select>
        </label>
      </div>
      <HistoryFilters value={filters} onChange={setFilters} />
      {error ? <ErrorView title="Could not list runs" error={error} /> : null}
      {filtered.error ? <ErrorView title="Could not filter the runs" error={filtered.error} /> : null}
      <div className="charts">
        <LineChart title="Repository growth" points={growth} format={formatBytes} />
        <LineChart title="Backup duration" points={durations} format={formatDuration} />
      </div>
      <div className="split history-split">
        <div className="runs-pane">
          <RunTable
            runs={runs.filter((r) => !repositoryId || r.repositoryId === repositoryId)}
            selected={selectedRun}
            onSelect={selectRun}
          />
          {isFiltered(filters) && runs.length === 0 && !filtered.error ? (
            <p className="muted">No run matches these filters.</p>
          ) : null}
        </div>
        <div className="details-pane run-details">
          {selected ? (
            <section aria-label={`Run ${selected.title}`}>
              <div className="card-header">
                <h3>{selected.title}</h3>
                <ExportLogButton runId={selected.id} />
              </div>
              {selected.status === "running" ? <ProgressView runId={selected.id} /> : null}
              {selected.error ? <p className="run-error">{selected.error}</p> : null}
              <LogViewer runId={selected.id} />
            </section>
          ) : (
            <EmptyState title="No run selected">Pick a run to read its log.</EmptyState>
          )}
        </div>
      </div>
    </div>
  );
}
