/**
 * A run's live progress: the phase, one bar for the run and one per disk, the rate and ETA, and
 * what was read, found changed and stored, with the resulting reduction ratio. Cancel while running.
 */
import { useState } from "react";
import type { ApiError, RunPhase } from "../../../preload/contract";
import { formatBytes, formatDuration, formatRate, formatRatio } from "../lib/format";
import { useRunsStore, type DiskProgress } from "../stores/runs-store";
import { ErrorView } from "./error-view";

const PHASE_LABEL: Record<RunPhase, string> = {
  "pre-check": "Pre-checks",
  snapshot: "Taking snapshot",
  transfer: "Transferring data",
  "snapshot-removal": "Removing snapshot",
  commit: "Committing restore point",
};

export function ProgressView({ runId }: { runId: string }) {
  const run = useRunsStore((s) => s.runs.find((r) => r.id === runId));
  const live = useRunsStore((s) => s.live[runId]);
  const cancel = useRunsStore((s) => s.cancel);
  const [cancelError, setCancelError] = useState<ApiError | null>(null);
  const [cancelling, setCancelling] = useState(false);
  const running = run ? run.status === "running" : !live?.progress.final;
  const p = live?.progress;
  const title = run?.title ?? `Run ${runId}`;
  return (
    <section className="progress-view card" aria-label={`Progress of ${title}`}>
      <header className="progress-header">
        <strong>{title}</strong>
        <span className={`status status-${run?.status ?? "running"}`}>{run?.status ?? "running"}</span>
        {running ? (
          <button
            type="button"
            disabled={cancelling}
            onClick={() => {
              setCancelling(true);
              void cancel(runId).then((error) => {
                setCancelError(error);
                setCancelling(false);
              });
            }}
          >
            {cancelling ? "Cancelling…" : "Cancel"}
          </button>
        ) : null}
      </header>
      {cancelError ? <ErrorView title="Could not cancel" error={cancelError} /> : null}
      {run?.error ? <p className="run-error">{run.error}</p> : null}
      {p && live ? (
        <>
          {running ? (
            <p className="phase">
              Phase: <strong>{PHASE_LABEL[live.phase]}</strong>
            </p>
          ) : null}
          <Bar label="Overall" name={`${title}: overall`} done={p.bytesDone} total={p.bytesTotal} />
          <dl className="progress-numbers">
            <dt>Speed</dt>
            <dd>{formatRate(p.bytesPerSecond)}</dd>
            <dt>Time left</dt>
            <dd>{p.final ? "done" : formatDuration(p.etaSeconds)}</dd>
            {p.operation === "backup" ? (
              <>
                <dt>Read</dt>
                <dd>{formatBytes(p.bytesRead)}</dd>
                <dt>Changed</dt>
                <dd>{formatBytes(p.bytesNew)}</dd>
                <dt>Stored</dt>
                <dd>{formatBytes(p.bytesStored)}</dd>
                <dt>Reduction</dt>
                <dd title="Data read divided by data stored, after deduplication and compression">
                  {formatRatio(p.bytesRead, p.bytesStored)}
                </dd>
              </>
            ) : (
              <>
                <dt>{p.operation === "restore" ? "Written" : "Done"}</dt>
                <dd>{formatBytes(p.bytesDone)}</dd>
              </>
            )}
          </dl>
          {live.disks.length > 0 ? <DiskBars disks={live.disks} /> : null}
        </>
      ) : running ? (
        <p className="muted">Starting…</p>
      ) : null}
    </section>
  );
}

function DiskBars({ disks }: { disks: DiskProgress[] }) {
  return (
    <ul className="disk-progress" aria-label="Disks">
      {disks.map((d) => (
        <li key={d.index}>
          <Bar label={`Disk ${d.index}: ${d.name}`} done={d.bytesDone} total={d.bytesTotal} />
        </li>
      ))}
    </ul>
  );
}

/** `name` is what assistive technology hears when the visible label is short. */
export function Bar({
  label,
  name,
  done,
  total,
}: {
  label: string;
  name?: string;
  done: number;
  total: number;
}) {
  const percent = total > 0 ? Math.min(100, Math.floor((done / total) * 100)) : 0;
  return (
    <div className="bar-row">
      <span className="bar-label">{label}</span>
      <div
        className="bar"
        role="progressbar"
        aria-label={name ?? label}
        aria-valuemin={0}
        aria-valuemax={100}
        aria-valuenow={percent}
        aria-valuetext={`${percent}%, ${formatBytes(done)} of ${formatBytes(total)}`}
      >
        <div className="bar-fill" style={{ width: `${percent}%` }} />
      </div>
      <span className="bar-value">
        {percent}%{" "}
        <span className="muted">
          ({formatBytes(done)} of {formatBytes(total)})
        </span>
      </span>
    </div>
  );
}
