/** Finalize: stop serving, then write the restore point plus the overlay's changes to a disk file. */
import { useState } from "react";
import type { ApiError } from "../../../../../preload/contract";
import { ErrorView } from "../../../components/error-view";
import { DiskFormatField } from "../../../components/disk-format-field";
import { TextField } from "../../../components/text-field";
import type { DiskFormat } from "../../../lib/restore-plan";
import { useInstantStore } from "../../../stores/instant-store";

export function FinalizeForm(props: { sessionId: string; onStarted(runId: string): void }) {
  const [path, setPath] = useState("");
  const [format, setFormat] = useState<DiskFormat>("qcow2");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const finalize = async () => {
    setBusy(true);
    setError(null);
    const result = await useInstantStore.getState().finalize(props.sessionId, path, format);
    setBusy(false);
    if ("runId" in result) props.onStarted(result.runId);
    else setError(result);
  };
  return (
    <div className="form-grid" role="group" aria-label="Finalize">
      <DiskFormatField label="Disk format" value={format} onChange={setFormat} />
      <TextField
        label="Disk file"
        hint="Serving stops first; the file holds the backup with everything written while it ran."
        value={path}
        placeholder="/mnt/restore/disk.qcow2"
        onChange={setPath}
      />
      <button
        type="button"
        className="primary"
        disabled={!path.trim() || busy}
        onClick={() => void finalize()}
      >
        {busy ? "Stopping…" : "Finalize"}
      </button>
      {error ? <ErrorView title="Could not finalize" error={error} /> : null}
    </div>
  );
}
