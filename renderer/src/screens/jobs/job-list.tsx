/** The jobs: name, schedule, next run, how the last run went, and what can be done with each. */
import type { JobView } from "../../../../preload/contract";
import { formatTime } from "../../lib/format";

export interface JobActions {
  run(job: JobView): void;
  edit(job: JobView): void;
  remove(job: JobView): void;
  exportJob(job: JobView): void;
}

export function JobList(props: { jobs: JobView[]; actions: JobActions }) {
  return (
    <table className="table jobs">
      <caption className="visually-hidden">Jobs</caption>
      <thead>
        <tr>
          <th scope="col">Job</th>
          <th scope="col">Schedule</th>
          <th scope="col">Next run</th>
          <th scope="col">Last run</th>
          <th scope="col">
            <span className="visually-hidden">Actions</span>
          </th>
        </tr>
      </thead>
      <tbody>
        {props.jobs.map((job) => (
          <JobRow key={job.id} job={job} actions={props.actions} />
        ))}
      </tbody>
    </table>
  );
}

function JobRow({ job, actions }: { job: JobView; actions: JobActions }) {
  const last = job.lastRun;
  return (
    <tr aria-label={job.name}>
      <th scope="row">{job.name}</th>
      <td>{job.scheduleText}</td>
      <td>{job.nextRun ? formatTime(job.nextRun) : "–"}</td>
      <td>
        {job.running ? (
          <span className="status status-running">running</span>
        ) : last ? (
          <>
            <span className={`status status-${last.status}`}>{last.status}</span>{" "}
            <span className="muted">{formatTime(last.finishedAt ?? last.startedAt)}</span>
          </>
        ) : (
          <span className="muted">never run</span>
        )}
      </td>
      <td className="row-actions">
        <button type="button" disabled={job.running} onClick={() => actions.run(job)}>
          Run now<span className="visually-hidden"> {job.name}</span>
        </button>
        <button type="button" onClick={() => actions.edit(job)}>
          Edit<span className="visually-hidden"> {job.name}</span>
        </button>
        <button type="button" onClick={() => actions.exportJob(job)}>
          Export<span className="visually-hidden"> {job.name}</span>
        </button>
        <button type="button" className="danger-link" onClick={() => actions.remove(job)}>
          Delete<span className="visually-hidden"> {job.name}</span>
        </button>
      </td>
    </tr>
  );
}
