/** Saves one run's log as a .txt file, for keeping or sending to support. */
import { useState } from "react";
import type { ApiError } from "../../../../preload/contract";
import { call } from "../../api/call";
import { ErrorView } from "../../components/error-view";
import { downloadText } from "../jobs/download";

export function ExportLogButton({ runId }: { runId: string }) {
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const exportLog = async () => {
    setBusy(true);
    const result = await call("runs.exportLog", { runId });
    setBusy(false);
    if (result.ok) downloadText(result.value.fileName, result.value.text);
    setError(result.ok ? null : result.error);
  };
  return (
    <>
      <button type="button" disabled={busy} onClick={() => void exportLog()}>
        Export log
      </button>
      {error ? <ErrorView title="The log was not exported" error={error} /> : null}
    </>
  );
}
