/** Restore wizard, step 1: which restore point, from which repository. */
import { useEffect } from "react";
import { ErrorView } from "../../components/error-view";
import { RepositorySelect } from "../../components/repository-select";
import { formatBytes, formatTime } from "../../lib/format";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useRestorePointsStore } from "../../stores/restore-points-store";

export function PointStep(props: {
  repositoryId: string;
  restorePointId: string;
  onChange(repositoryId: string, restorePointId: string): void;
  /** "Run from backup" on the chosen restore point. */
  onRunFromBackup?(): void;
}) {
  const repositories = useRepositoriesStore((s) => s.repositories);
  const state = useRestorePointsStore((s) => s.byRepository[props.repositoryId]);
  const load = useRestorePointsStore((s) => s.load);
  useEffect(() => {
    if (props.repositoryId && !state) void load(props.repositoryId);
  }, [props.repositoryId, state, load]);
  const points =
    state?.status === "ready" ? [...state.points].sort((a, b) => b.time.localeCompare(a.time)) : [];
  return (
    <div>
      <RepositorySelect
        repositories={repositories}
        value={props.repositoryId}
        onChange={(repositoryId) => props.onChange(repositoryId, "")}
        emptyChoice="Choose a repository"
      />
      {state?.status === "loading" ? <p className="muted">Reading restore points…</p> : null}
      {state?.status === "error" ? (
        <ErrorView title="Could not list restore points" error={state.error} />
      ) : null}
      {state?.status === "ready" && points.length === 0 ? (
        <p className="muted">This repository has no restore points yet.</p>
      ) : null}
      {points.length > 0 ? (
        <fieldset className="point-list">
          <legend>Restore point</legend>
          {points.map((rp) => (
            <label key={rp.id} className="choice">
              <input
                type="radio"
                name="restore-point"
                value={rp.id}
                checked={props.restorePointId === rp.id}
                onChange={() => props.onChange(props.repositoryId, rp.id)}
              />
              <span>
                <strong>{rp.vmName ?? rp.source}</strong> {formatTime(rp.time)} · {rp.type} ·{" "}
                {rp.consistency === "application" ? "application-consistent" : "crash-consistent"} ·{" "}
                {rp.disks.length} disk{rp.disks.length === 1 ? "" : "s"},{" "}
                {formatBytes(rp.disks.reduce((n, d) => n + d.size, 0))}
              </span>
            </label>
          ))}
        </fieldset>
      ) : null}
      {props.onRunFromBackup && props.restorePointId ? (
        <p>
          <button type="button" onClick={props.onRunFromBackup}>
            Run from backup…
          </button>{" "}
          <span className="muted">
            Boot a VM straight from this restore point, without restoring it first.
          </span>
        </p>
      ) : null}
    </div>
  );
}
