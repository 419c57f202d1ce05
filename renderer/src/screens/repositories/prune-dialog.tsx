/**
 * Prune with a grandfather-father-son policy: keep the last N restore points, and the newest of
 * each of the last D days, W weeks and M months; the rest is forgotten and its data removed.
 */
import { useState } from "react";
import type { ApiError, RepositoryView } from "../../../../preload/contract";
import { call } from "../../api/call";
import { ErrorView } from "../../components/error-view";
import { Field } from "../../components/field";
import { Modal } from "../../components/modal";
import { ProgressView } from "../../components/progress-view";
import { sessionPassword } from "../../stores/passwords-store";

const KEEP = [
  { key: "keepLast", label: "Keep the last", unit: "restore points", min: 1 },
  { key: "keepDaily", label: "Keep one a day for", unit: "days", min: 0 },
  { key: "keepWeekly", label: "Keep one a week for", unit: "weeks", min: 0 },
  { key: "keepMonthly", label: "Keep one a month for", unit: "months", min: 0 },
] as const;

type Keep = Record<(typeof KEEP)[number]["key"], number>;

export function PruneDialog({ repo, onClose }: { repo: RepositoryView; onClose(): void }) {
  const [keep, setKeep] = useState<Keep>({ keepLast: 3, keepDaily: 7, keepWeekly: 4, keepMonthly: 6 });
  const [error, setError] = useState<ApiError | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [busy, setBusy] = useState(false);
  const valid = KEEP.every((k) => Number.isInteger(keep[k.key]) && keep[k.key] >= k.min);

  const start = async () => {
    setBusy(true);
    const result = await call("repositories.prune", {
      repositoryId: repo.repositoryId,
      ...keep,
      ...sessionPassword(repo.repositoryId),
    });
    setBusy(false);
    if (result.ok) setRunId(result.value.runId);
    else setError(result.error);
  };

  return (
    <Modal title={`Prune ${repo.name}`} onClose={onClose}>
      <div className="modal-body">
        {runId ? (
          <ProgressView runId={runId} />
        ) : (
          <>
            <p>
              Restore points outside this policy are forgotten, and data no restore point needs any more is
              removed.
            </p>
            <div className="form-grid">
              {KEEP.map((k) => (
                <Field key={k.key} label={`${k.label} (${k.unit})`}>
                  {(id) => (
                    <input
                      id={id}
                      type="number"
                      min={k.min}
                      step={1}
                      value={keep[k.key]}
                      onChange={(e) => setKeep({ ...keep, [k.key]: Number(e.target.value) })}
                    />
                  )}
                </Field>
              ))}
            </div>
            {error ? <ErrorView title="Prune did not start" error={error} /> : null}
          </>
        )}
      </div>
      <footer className="modal-footer">
        <button type="button" onClick={onClose}>
          {runId ? "Close" : "Cancel"}
        </button>
        {runId ? null : (
          <button
            type="button"
            className="primary danger"
            disabled={!valid || busy}
            onClick={() => void start()}
          >
            Prune
          </button>
        )}
      </footer>
    </Modal>
  );
}
