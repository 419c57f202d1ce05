/**
 * The landing screen, for the morning check: did last night's jobs succeed, how full are the
 * repositories and when will they be full, and which machines have gone without a restore point.
 */
import { useEffect } from "react";
import { ErrorView } from "../../components/error-view";
import { useDashboardStore } from "../../stores/dashboard-store";
import { JobResults } from "./job-results";
import { ProtectionGaps } from "./protection-gaps";
import { RepositorySpace } from "./repository-space";

export function DashboardScreen() {
  const view = useDashboardStore((s) => s.view);
  const error = useDashboardStore((s) => s.error);
  const gapDays = useDashboardStore((s) => s.gapDays);
  const load = useDashboardStore((s) => s.load);
  useEffect(() => void load(), [load]);
  return (
    <div className="screen dashboard">
      <div className="toolbar">
        <h2>Dashboard</h2>
        <button type="button" onClick={() => void load()}>
          Refresh
        </button>
      </div>
      {error ? <ErrorView title="Could not read the dashboard" error={error} /> : null}
      {view ? (
        <div className="dashboard-grid">
          <JobResults jobs={view.jobs} />
          <RepositorySpace repositories={view.repositories} />
          <ProtectionGaps
            gaps={view.protectionGaps}
            gapDays={gapDays}
            onGapDays={(days) => void load(days)}
          />
        </div>
      ) : error ? null : (
        <p className="muted">Loading…</p>
      )}
    </div>
  );
}
