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
import { RunTable } from "./run-table";

export function HistoryScreen() {
  const runs = useRunsStore((s) => s.runs);
  const loaded = useRunsStore((s) => s.loaded);
  const error = useRunsStore((s) => s.error);
  const repositories = useRepositoriesStore((s) => s.repositories);
  const selectedRun = useUiStore((s) => s.selectedRun);
  const selectRun = useUiStore((s) => s.selectRun);
  const [repositoryId, setRepositoryId] = useState<string | null>(null);
  const growth = useMemo(() => growthSeries(runs, repositoryId), [runs, repositoryId]);
  const durations = useMemo(() => durationSeries(runs, repositoryId), [runs, repositoryId]);
  const selected = runs.find((r) => r.id === selectedRun);

  if (loaded && runs.length === 0) {
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
      {error ? <ErrorView title="Could not list runs" error={error} /> : null}
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
        </div>
        <div className="details-pane run-details">
          {selected ? (
            <section aria-label={`Run ${selected.title}`}>
              <h3>{selected.title}</h3>
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
