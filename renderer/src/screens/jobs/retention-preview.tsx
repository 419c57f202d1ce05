/**
 * What a retention policy would do to the restore points already in the repository, asked of main
 * before the job is saved: the points kept (with why) and those that would be removed.
 */
import { useState } from "react";
import type { RetentionSettings } from "../../../../main/jobs/job-settings";
import type { ApiError, RetentionPreview } from "../../../../preload/contract";
import { ErrorView } from "../../components/error-view";
import { formatTime, plural } from "../../lib/format";
import { useJobsStore } from "../../stores/jobs-store";

export function RetentionPreviewButton(props: {
  repositoryId: string;
  sourceId: string;
  retention: RetentionSettings;
}) {
  const previewRetention = useJobsStore((s) => s.previewRetention);
  const [preview, setPreview] = useState<RetentionPreview | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const ready = props.repositoryId !== "" && props.sourceId !== "";
  const ask = async () => {
    setBusy(true);
    const result = await previewRetention(props);
    setBusy(false);
    setPreview(result.ok ? result.value : null);
    setError(result.ok ? null : result.error);
  };
  return (
    <div className="retention-preview">
      <button type="button" disabled={!ready || busy} onClick={() => void ask()}>
        {busy ? "Reading restore points…" : "Preview"}
      </button>
      {!ready ? <span className="muted"> Choose the source and repository first.</span> : null}
      {error ? <ErrorView title="Could not preview the retention" error={error} /> : null}
      {preview ? <PreviewLists preview={preview} /> : null}
    </div>
  );
}

export function PreviewLists({ preview }: { preview: RetentionPreview }) {
  return (
    <div className="preview-lists">
      <section aria-label="Kept">
        <h4>Kept: {plural(preview.keep.length, "restore point")}</h4>
        {preview.keep.length === 0 ? (
          <p className="muted">This source has no restore point in the repository yet.</p>
        ) : null}
        <ul>
          {preview.keep.map((p) => (
            <li key={p.id}>
              {formatTime(p.time)} <span className="muted">{p.reasons.join(", ")}</span>
            </li>
          ))}
        </ul>
      </section>
      <section aria-label="Removed">
        <h4 className={preview.remove.length > 0 ? "warn-text" : undefined}>
          Removed: {plural(preview.remove.length, "restore point")}
        </h4>
        {preview.remove.length === 0 ? (
          <p className="muted">Nothing would be removed.</p>
        ) : (
          <ul>
            {preview.remove.map((p) => (
              <li key={p.id}>{formatTime(p.time)}</li>
            ))}
          </ul>
        )}
      </section>
    </div>
  );
}
