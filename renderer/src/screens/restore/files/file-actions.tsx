/**
 * What to do with the ticked files: restore them into a folder, or download them as one .zip or
 * .7z file. Each starts a background run, shown with the usual progress view.
 */
import { useState } from "react";
import type { ApiError } from "../../../../../preload/contract";
import { call } from "../../../api/call";
import { ErrorView } from "../../../components/error-view";
import { Field } from "../../../components/field";
import { ProgressView } from "../../../components/progress-view";
import { TextField } from "../../../components/text-field";
import { plural } from "../../../lib/format";
import { useFilesStore } from "../../../stores/files-store";

export function FileActions() {
  const session = useFilesStore((s) => s.session);
  const selected = useFilesStore((s) => s.selected);
  const [target, setTarget] = useState("");
  const [archive, setArchive] = useState("");
  const [format, setFormat] = useState<"zip" | "7z">("zip");
  const [runId, setRunId] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  if (!session) return null;
  const none = selected.length === 0;
  const started = (result: Awaited<ReturnType<typeof call<"files.extract">>>) => {
    setBusy(false);
    if (result.ok) setRunId(result.value.runId);
    else setError(result.error);
  };
  const restore = async () => {
    setBusy(true);
    setError(null);
    started(await call("files.extract", { sessionId: session.sessionId, paths: selected, target }));
  };
  const download = async () => {
    setBusy(true);
    setError(null);
    started(
      await call("files.archive", { sessionId: session.sessionId, paths: selected, file: archive, format }),
    );
  };
  return (
    <section className="file-actions" aria-label="Restore the selected files">
      <p>
        {none ? "Tick the files and folders to restore." : `${plural(selected.length, "item")} selected.`}
      </p>
      <div className="form-grid">
        <TextField
          label="Restore to folder"
          hint="Each selected item is written there under its own name, folders with their contents; nothing there is overwritten."
          value={target}
          placeholder="/home/me/restored"
          onChange={setTarget}
        />
        <button
          type="button"
          className="primary"
          disabled={none || !target.trim() || busy}
          onClick={() => void restore()}
        >
          Restore
        </button>
        <TextField
          label="Archive file"
          value={archive}
          placeholder={`/home/me/restored.${format}`}
          onChange={setArchive}
        />
        <Field label="Archive format">
          {(id) => (
            <select
              id={id}
              value={format}
              onChange={(e) => setFormat(e.target.value === "7z" ? "7z" : "zip")}
            >
              <option value="zip">.zip</option>
              <option value="7z">.7z</option>
            </select>
          )}
        </Field>
        <button type="button" disabled={none || !archive.trim() || busy} onClick={() => void download()}>
          Download as .{format}
        </button>
      </div>
      {error ? <ErrorView title="Could not start" error={error} /> : null}
      {runId ? <ProgressView runId={runId} /> : null}
    </section>
  );
}
