/**
 * Creates or edits a job: what to back up and where, when, how, what to keep (with a preview of
 * what that keeps and removes today) and where to copy. Main checks the settings again on Save and
 * names a bad field; that message shows under the form.
 */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { RepositorySelect } from "../../components/repository-select";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import { useJobsStore } from "../../stores/jobs-store";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useSourcesStore } from "../../stores/sources-store";
import { CopiesFields } from "./copies-fields";
import { DEFAULT_RETENTION, settingsFromDraft, type JobDraft } from "./job-draft";
import { RetentionFields } from "./retention-fields";
import { RetentionPreviewButton } from "./retention-preview";
import { RunOptionsFields } from "./run-options-fields";
import { ScheduleFields } from "./schedule-fields";
import { FollowFields, SourceSelect, VmPicker } from "./selection-fields";

export function JobEditor(props: { initial: JobDraft; onDone(): void; onCancel(): void }) {
  const sources = useSourcesStore((s) => s.sources);
  const repositories = useRepositoriesStore((s) => s.repositories);
  const save = useJobsStore((s) => s.save);
  const [draft, setDraft] = useState(props.initial);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const set = (patch: Partial<JobDraft>) => setDraft((d) => ({ ...d, ...patch }));
  const isVsphere = sources.find((s) => s.id === draft.sourceId)?.kind === "vsphere";
  const result = settingsFromDraft(draft, isVsphere);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!result.ok) return;
    setBusy(true);
    const saved = await save({
      ...(draft.id ? { id: draft.id } : {}),
      name: draft.name.trim(),
      settings: result.settings,
    });
    setBusy(false);
    if (saved.ok) props.onDone();
    else setError(saved.error);
  };
  const title = draft.id ? `Edit job ${props.initial.name}` : "New job";
  return (
    <form className="card form-grid job-editor" aria-label={title} onSubmit={(e) => void submit(e)}>
      <div className="card-header">
        <h3>{title}</h3>
        <button type="button" onClick={props.onCancel}>
          Cancel
        </button>
      </div>
      <TextField
        label="Name"
        value={draft.name}
        placeholder="Nightly web servers"
        onChange={(name) => set({ name })}
      />
      <div className="form-columns">
        <SourceSelect
          sources={sources}
          value={draft.sourceId}
          onChange={(sourceId) => set({ sourceId, vms: [] })}
        />
        <RepositorySelect
          repositories={repositories}
          value={draft.repositoryId}
          emptyChoice="Choose a repository…"
          onChange={(repositoryId) => set({ repositoryId })}
        />
      </div>
      {isVsphere ? (
        <>
          <FollowFields value={draft.follow} onChange={(follow) => set({ follow })} />
          {draft.follow.kind === "vms" ? (
            <VmPicker sourceId={draft.sourceId} value={draft.vms} onChange={(vms) => set({ vms })} />
          ) : null}
        </>
      ) : null}
      <ScheduleFields value={draft.schedule} onChange={(schedule) => set({ schedule })} />
      <RunOptionsFields draft={draft} set={set} />
      <RetentionSection draft={draft} set={set} />
      <CopiesFields
        repositories={repositories}
        primary={draft.repositoryId}
        value={draft.copies}
        onChange={(copies) => set({ copies })}
      />
      <SubmitRow
        label="Save job"
        busyLabel="Saving…"
        busy={busy}
        disabled={!result.ok}
        problem={result.ok ? null : result.problem}
        error={error}
        errorTitle="The job was not saved"
      />
    </form>
  );
}

function RetentionSection({ draft, set }: { draft: JobDraft; set(patch: Partial<JobDraft>): void }) {
  return (
    <fieldset>
      <legend>Retention</legend>
      <label>
        <input
          type="checkbox"
          checked={draft.retention !== null}
          onChange={(e) => set({ retention: e.target.checked ? { ...DEFAULT_RETENTION } : null })}
        />{" "}
        Remove old restore points after each run
      </label>
      {draft.retention ? (
        <>
          <RetentionFields
            label="Restore points to keep"
            value={draft.retention}
            onChange={(retention) => set({ retention })}
          />
          <RetentionPreviewButton
            repositoryId={draft.repositoryId}
            sourceId={draft.sourceId}
            retention={draft.retention}
          />
        </>
      ) : (
        <p className="muted">Every restore point is kept until you prune the repository.</p>
      )}
    </fieldset>
  );
}
