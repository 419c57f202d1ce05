/**
 * "Verify" for one restore point (or, without one, every restore point of a repository): starts a
 * restorePoints.verify run and shows how far it got. The restore point list is re-read when the run
 * ends (app/refresh-on-run.ts), which turns the row green (a date) or red (the reason).
 */
import { useState } from "react";
import type { ApiError } from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "../stores/passwords-store";
import { useRunsStore } from "../stores/runs-store";
import { ErrorView } from "./error-view";

export function VerifyButton(props: {
  /** A link in a table row; a plain button among a card's actions. */
  plain?: boolean;
  repositoryId: string;
  restorePointId?: string;
  label: string;
  name: string;
}) {
  const [runId, setRunId] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const run = useRunsStore((s) => (runId ? s.runs.find((r) => r.id === runId) : undefined));
  const live = useRunsStore((s) => (runId ? s.live[runId] : undefined));
  const running = runId !== null && (run ? run.status === "running" : true);
  const verify = async () => {
    setError(null);
    const result = await call("restorePoints.verify", {
      repositoryId: props.repositoryId,
      ...(props.restorePointId ? { restorePointId: props.restorePointId } : {}),
      ...sessionPassword(props.repositoryId),
    });
    if (result.ok) setRunId(result.value.runId);
    else setError(result.error);
  };
  const percent =
    live && live.progress.bytesTotal > 0
      ? Math.floor((100 * live.progress.bytesDone) / live.progress.bytesTotal)
      : null;
  return (
    <>
      <button
        type="button"
        className={props.plain ? undefined : "link-button"}
        aria-label={props.name}
        disabled={running}
        onClick={() => void verify()}
      >
        {props.label}
      </button>
      {running ? (
        <span className="muted" role="status">
          {" "}
          verifying{percent !== null ? ` ${percent}%` : "…"}
        </span>
      ) : null}
      {run && run.status !== "running" && run.status !== "succeeded" ? (
        <span className="run-error" role="status">
          {" "}
          {run.status === "cancelled" ? "verification cancelled" : (run.error ?? "verification failed")}
        </span>
      ) : null}
      {error ? <ErrorView title="Verify did not start" error={error} /> : null}
    </>
  );
}
