/** Jobs: scheduled backups with retention and copies; create, edit, run, export, import, delete. */
import { useEffect, useState } from "react";
import type { ApiError, JobView } from "../../../../preload/contract";
import { EmptyState } from "../../components/empty-state";
import { ErrorView } from "../../components/error-view";
import { useJobsStore } from "../../stores/jobs-store";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useSourcesStore } from "../../stores/sources-store";
import { downloadText } from "./download";
import { draftFromJob, newDraft, type JobDraft } from "./job-draft";
import { JobEditor } from "./job-editor";
import { ExportedJob } from "./exported-job";
import { JobImport } from "./job-import";
import { JobList, type JobActions } from "./job-list";

type Panel =
  | { kind: "edit"; draft: JobDraft; key: string }
  | { kind: "import" }
  | { kind: "export"; fileName: string; json: string }
  | null;

export function JobsScreen() {
  const jobs = useJobsStore((s) => s.jobs);
  const loaded = useJobsStore((s) => s.loaded);
  const error = useJobsStore((s) => s.error);
  const load = useJobsStore((s) => s.load);
  const run = useJobsStore((s) => s.run);
  const remove = useJobsStore((s) => s.remove);
  const exportJob = useJobsStore((s) => s.exportJob);
  const sources = useSourcesStore((s) => s.sources);
  const repositories = useRepositoriesStore((s) => s.repositories);
  const [panel, setPanel] = useState<Panel>(null);
  const [actionError, setActionError] = useState<{ title: string; error: ApiError } | null>(null);
  useEffect(() => void load(), [load]);

  const report = (title: string) => (result: { ok: true } | { ok: false; error: ApiError }) =>
    setActionError(result.ok ? null : { title, error: result.error });
  const actions: JobActions = {
    run: (job) => void run(job.id).then(report(`${job.name} did not start`)),
    edit: (job) => setPanel({ kind: "edit", draft: draftFromJob(job), key: job.id }),
    remove: (job) => {
      if (window.confirm(`Delete the job ${job.name}? Its restore points stay in the repository.`)) {
        void remove(job.id).then(report(`${job.name} was not deleted`));
      }
    },
    exportJob: (job) =>
      void exportJob(job.id).then((result) => {
        if (result.ok) {
          downloadText(result.value.fileName, result.value.json, "application/json");
          setPanel({ kind: "export", ...result.value });
        }
        report(`${job.name} was not exported`)(result);
      }),
  };
  const create = () =>
    setPanel({
      kind: "edit",
      key: `new-${Date.now()}`,
      draft: newDraft(sources[0]?.id ?? "", repositories[0]?.repositoryId ?? ""),
    });
  return (
    <div className="screen">
      <div className="toolbar">
        <h2>Jobs</h2>
        <button type="button" className="primary" onClick={create}>
          New job
        </button>
        <button
          type="button"
          aria-expanded={panel?.kind === "import"}
          onClick={() => setPanel(panel?.kind === "import" ? null : { kind: "import" })}
        >
          Import…
        </button>
      </div>
      {error ? <ErrorView title="Could not list jobs" error={error} /> : null}
      {actionError ? <ErrorView title={actionError.title} error={actionError.error} /> : null}
      {panel?.kind === "import" ? <JobImport onDone={() => setPanel(null)} /> : null}
      {panel?.kind === "export" ? (
        <ExportedJob fileName={panel.fileName} json={panel.json} onClose={() => setPanel(null)} />
      ) : null}
      {panel?.kind === "edit" ? (
        <JobEditor
          key={panel.key}
          initial={panel.draft}
          onDone={() => setPanel(null)}
          onCancel={() => setPanel(null)}
        />
      ) : null}
      <JobListOrEmpty jobs={jobs} loaded={loaded} actions={actions} />
    </div>
  );
}

function JobListOrEmpty(props: { jobs: JobView[]; loaded: boolean; actions: JobActions }) {
  if (props.loaded && props.jobs.length === 0) {
    return (
      <EmptyState title="No jobs yet">
        A job backs machines up on a schedule, keeps what its retention says and copies to a second
        repository.
      </EmptyState>
    );
  }
  return <JobList jobs={props.jobs} actions={props.actions} />;
}
