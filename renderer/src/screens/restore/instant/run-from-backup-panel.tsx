/**
 * "Run from backup": serves a disk of the restore point over NBD (instant recovery) and shows its
 * URL, how to attach it, the overlay growing as the VM writes, the clients, and Stop / Finalize.
 */
import { useEffect, useState } from "react";
import type { CatalogRestorePoint } from "../../../../../main/catalog/catalog-api";
import type { ApiError, InstantView } from "../../../../../preload/contract";
import { ErrorView } from "../../../components/error-view";
import { Field } from "../../../components/field";
import { ProgressView } from "../../../components/progress-view";
import { formatBytes } from "../../../lib/format";
import { INSTANT_POLL_MS, useInstantStore } from "../../../stores/instant-store";
import { CopyButton } from "./copy-button";
import { FinalizeForm } from "./finalize-form";
import { InstantInstructions } from "./instant-instructions-view";

export function RunFromBackupPanel(props: { point: CatalogRestorePoint; initialDisk?: number }) {
  const { point } = props;
  const [disk, setDisk] = useState(props.initialDisk ?? point.disks[0]?.index ?? 0);
  const [sessionId, setSessionId] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const [finalizeRun, setFinalizeRun] = useState<string | null>(null);
  // One started earlier (the wizard was closed meanwhile) is shown again, so it can still be stopped.
  const view = useInstantStore((s) =>
    s.sessions.find((x) =>
      sessionId
        ? x.sessionId === sessionId
        : x.repositoryId === point.repositoryId && x.restorePoint === point.id,
    ),
  );
  useEffect(() => {
    void useInstantStore.getState().refresh();
  }, []);
  const start = async () => {
    setBusy(true);
    setError(null);
    const result = await useInstantStore.getState().start(point.repositoryId, point.id, disk);
    setBusy(false);
    if ("sessionId" in result) setSessionId(result.sessionId);
    else setError(result);
  };
  if (finalizeRun) return <ProgressView runId={finalizeRun} />;
  return (
    <section className="run-from-backup" aria-label="Run from backup">
      {view ? (
        <Serving view={view} onFinalize={setFinalizeRun} onStopped={() => setSessionId(null)} />
      ) : !sessionId ? (
        <>
          <p>
            Serve a disk of this restore point over NBD, so a VM can boot from it now. What the VM writes is
            kept in a separate overlay file; the backup is never changed.
          </p>
          {point.disks.length > 1 ? (
            <Field label="Disk">
              {(id) => (
                <select id={id} value={disk} onChange={(e) => setDisk(Number(e.target.value))}>
                  {point.disks.map((d) => (
                    <option key={d.index} value={d.index}>
                      Disk {d.index}: {d.name} ({formatBytes(d.size)})
                    </option>
                  ))}
                </select>
              )}
            </Field>
          ) : null}
          <button type="button" className="primary" disabled={busy} onClick={() => void start()}>
            {busy ? "Starting…" : "Start serving"}
          </button>
        </>
      ) : (
        <p className="muted">This instant recovery is no longer running.</p>
      )}
      {error ? <ErrorView title="Could not run from backup" error={error} /> : null}
    </section>
  );
}

function Serving(props: { view: InstantView; onFinalize(runId: string): void; onStopped(): void }) {
  const { view } = props;
  const [stopError, setStopError] = useState<ApiError | null>(null);
  const [finalizing, setFinalizing] = useState(false);
  const [discarding, setDiscarding] = useState(false);
  useEffect(() => {
    const timer = setInterval(() => void useInstantStore.getState().refresh(), INSTANT_POLL_MS);
    return () => clearInterval(timer);
  }, []);
  const stop = async (discard: boolean) => {
    const error = await useInstantStore.getState().stop(view.sessionId, discard);
    if (error) setStopError(error);
    else props.onStopped();
  };
  return (
    <>
      <div className="instant-url">
        <label>
          NBD address{" "}
          <input readOnly aria-label="NBD URL" value={view.url} onFocus={(e) => e.target.select()} />
        </label>
        <CopyButton text={view.url} label="Copy the NBD URL" />
      </div>
      <dl className="facts" aria-label="Instant recovery status">
        <dt>Disk</dt>
        <dd>
          {view.disk} ({formatBytes(view.size)})
        </dd>
        <dt>Written since start</dt>
        <dd data-testid="overlay-bytes">{formatBytes(view.overlayBytes)}</dd>
        <dt>Connected clients</dt>
        <dd data-testid="clients">{view.clients}</dd>
        <dt>Overlay file</dt>
        <dd>{view.overlay}</dd>
      </dl>
      <div className="card-actions">
        <button type="button" className="danger" onClick={() => void stop(false)}>
          Stop
        </button>
        <span className="muted">
          Stop keeps what the VM wrote in the overlay file; Finalize makes a disk of it.
        </span>
        <button type="button" aria-expanded={finalizing} onClick={() => setFinalizing(!finalizing)}>
          Finalize…
        </button>
        <button type="button" aria-expanded={discarding} onClick={() => setDiscarding(!discarding)}>
          Stop and discard…
        </button>
      </div>
      {discarding ? (
        <div className="card-actions" role="group" aria-label="Discard the VM's writes">
          <span>Everything the VM wrote since it started from the backup is deleted for good.</span>
          <button type="button" className="danger" onClick={() => void stop(true)}>
            Discard the writes and stop
          </button>
          <button type="button" onClick={() => setDiscarding(false)}>
            Keep them
          </button>
        </div>
      ) : null}
      {stopError ? <ErrorView title="Could not stop" error={stopError} /> : null}
      {finalizing ? <FinalizeForm sessionId={view.sessionId} onStarted={props.onFinalize} /> : null}
      <InstantInstructions view={view} />
    </>
  );
}
