/**
 * Restore: restore point → what (VM, disk or single files) → where (file, new vSphere VM, original)
 * → confirm. Single files go from "what" to the file browser; "Run from backup" on the first step
 * serves the restore point over NBD instead of restoring it.
 */
import { useEffect, useState } from "react";
import type { ApiError } from "../../../../preload/contract";
import { call } from "../../api/call";
import { ErrorView } from "../../components/error-view";
import { Modal } from "../../components/modal";
import { ProgressView } from "../../components/progress-view";
import { SessionPasswordField } from "../../components/text-field";
import { emptyPlan, planProblem, targetOf, type RestorePlan } from "../../lib/restore-plan";
import { sessionPassword, usePasswordsStore } from "../../stores/passwords-store";
import { needsPassword, useRepositoriesStore } from "../../stores/repositories-store";
import { useRestorePointsStore } from "../../stores/restore-points-store";
import { ConfirmStep } from "./confirm-step";
import { PointStep } from "./point-step";
import { WhatStep } from "./what-step";
import { WhereStep } from "./where-step";
import { FileBrowserPane } from "./files/file-browser-pane";
import { RunFromBackupPanel } from "./instant/run-from-backup-panel";

const STEPS = ["Restore point", "What", "Where", "Confirm"];
const FILE_STEPS = ["Restore point", "What", "Files"];

type Mode = "image" | "files" | "instant";

export function RestoreWizard(props: { repositoryId?: string; restorePointId?: string; onClose(): void }) {
  const [step, setStep] = useState(props.restorePointId ? 1 : 0);
  const [repositoryId, setRepositoryId] = useState(props.repositoryId ?? "");
  const [pointId, setPointId] = useState(props.restorePointId ?? "");
  const pointsState = useRestorePointsStore((s) => s.byRepository[repositoryId]);
  const point =
    pointsState?.status === "ready" ? pointsState.points.find((p) => p.id === pointId) : undefined;
  const [plan, setPlan] = useState<RestorePlan>(() => emptyPlan(point));
  const repository = useRepositoriesStore((s) => s.repositories.find((r) => r.repositoryId === repositoryId));
  const typed = usePasswordsStore((s) => s.byId);
  const remember = usePasswordsStore((s) => s.remember);
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [runId, setRunId] = useState<string | null>(null);
  const [mode, setMode] = useState<Mode>("image");
  const steps = mode === "files" ? FILE_STEPS : STEPS;
  const last = steps.length - 1;
  const loadPoints = useRestorePointsStore((s) => s.load);
  useEffect(() => {
    if (repositoryId && !pointsState) void loadPoints(repositoryId);
  }, [repositoryId, pointsState, loadPoints]);
  useEffect(() => {
    if (point?.vmName) setPlan((p) => (p.name ? p : { ...p, name: `${point.vmName ?? ""}-restored` }));
  }, [point]);
  const askPassword = repository !== undefined && needsPassword(repository, typed);
  const problem =
    mode !== "image"
      ? null
      : step === 0
        ? point
          ? null
          : "Choose a restore point."
        : step === 3
          ? planProblem(plan)
          : step === 2
            ? wherePending(plan)
            : null;

  const start = async () => {
    const target = targetOf(plan);
    if (!point || !target || (askPassword && !password)) return;
    if (askPassword) remember(repositoryId, password);
    setBusy(true);
    const vsphereId = plan.kind === "vsphere-new" ? plan.sourceId : "";
    const vspherePassword = vsphereId ? sessionPassword(vsphereId).password : undefined;
    const result = await call("jobs.restore", {
      repositoryId,
      restorePointId: point.id,
      target,
      ...sessionPassword(repositoryId),
      ...(vspherePassword ? { vspherePassword } : {}),
    });
    setBusy(false);
    if (result.ok) setRunId(result.value.runId);
    else setError(result.error);
  };

  return (
    <Modal title="Restore" onClose={props.onClose} wide>
      <ol className="steps" aria-label="Steps">
        {(mode === "instant" ? ["Restore point", "Run from backup"] : steps).map((name, i) => (
          <li
            key={name}
            className={i === step ? "current" : i < step ? "done" : ""}
            aria-current={i === step ? "step" : undefined}
          >
            {name}
          </li>
        ))}
      </ol>
      <div className="modal-body">
        {mode === "instant" && point ? (
          <RunFromBackupPanel point={point} />
        ) : mode === "files" && step === 2 && point && typeof plan.disk === "number" ? (
          <FileBrowserPane repositoryId={repositoryId} restorePointId={point.id} disk={plan.disk} />
        ) : runId ? (
          <ProgressView runId={runId} />
        ) : (
          <>
            {step === 0 ? (
              <PointStep
                repositoryId={repositoryId}
                restorePointId={pointId}
                onChange={(repo, id) => {
                  setRepositoryId(repo);
                  setPointId(id);
                }}
                onRunFromBackup={() => {
                  setMode("instant");
                  setStep(1);
                }}
              />
            ) : null}
            {step === 1 && point ? (
              <WhatStep
                point={point}
                disk={plan.disk}
                files={mode === "files"}
                onChange={(disk, files) => {
                  setPlan({ ...plan, disk });
                  setMode(files ? "files" : "image");
                }}
              />
            ) : null}
            {step === 2 && point ? <WhereStep point={point} plan={plan} onChange={setPlan} /> : null}
            {step === 3 && point ? <ConfirmStep point={point} plan={plan} onChange={setPlan} /> : null}
            {step === 3 && askPassword ? (
              <SessionPasswordField value={password} onChange={setPassword} />
            ) : null}
            {step > 0 && !point ? <p className="muted">Reading the restore point…</p> : null}
            {error ? <ErrorView title="The restore did not start" error={error} /> : null}
          </>
        )}
      </div>
      <footer className="modal-footer">
        {runId || mode === "instant" || (mode === "files" && step === last) ? (
          <>
            {!runId ? (
              <button
                type="button"
                onClick={() => {
                  setStep(mode === "instant" ? 0 : step - 1);
                  if (mode === "instant") setMode("image");
                }}
              >
                Back
              </button>
            ) : null}
            <button type="button" onClick={props.onClose}>
              Close
            </button>
          </>
        ) : (
          <>
            {problem ? <span className="muted footer-note">{problem}</span> : null}
            <button type="button" disabled={step === 0} onClick={() => setStep(step - 1)}>
              Back
            </button>
            {step < last ? (
              <button
                type="button"
                className="primary"
                disabled={problem !== null}
                onClick={() => setStep(step + 1)}
              >
                Next
              </button>
            ) : (
              <button
                type="button"
                className="primary"
                disabled={problem !== null || busy || (askPassword && !password)}
                onClick={() => void start()}
              >
                {busy ? "Starting…" : "Restore"}
              </button>
            )}
          </>
        )}
      </footer>
    </Modal>
  );
}

/** On the "where" step the overwrite confirmation is still to come, on the next step. */
function wherePending(plan: RestorePlan): string | null {
  return plan.kind === "vsphere-original" ? null : planProblem(plan);
}
