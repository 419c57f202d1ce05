/** Each job's newest run: its state in colour, when it ended, what it moved and how long it took. */
import type { DashboardView } from "../../../../preload/contract";
import { EmptyState } from "../../components/empty-state";
import { formatBytes, formatDuration, formatTime } from "../../lib/format";
import { durationSeconds } from "../../lib/run-series";

export function JobResults({ jobs }: { jobs: DashboardView["jobs"] }) {
  return (
    <section className="card dashboard-card" aria-label="Last results">
      <h3>Last results</h3>
      {jobs.length === 0 ? (
        <EmptyState title="No jobs yet">Create a job on the Jobs screen to back up on a schedule.</EmptyState>
      ) : (
        <table className="table">
          <caption className="visually-hidden">Last result of each job</caption>
          <thead>
            <tr>
              <th scope="col">Job</th>
              <th scope="col">Result</th>
              <th scope="col">When</th>
              <th scope="col" className="num">
                Stored
              </th>
              <th scope="col" className="num">
                Duration
              </th>
              <th scope="col">Next run</th>
            </tr>
          </thead>
          <tbody>
            {jobs.map((job) => (
              <tr key={job.jobId} aria-label={job.name}>
                <th scope="row">{job.name}</th>
                {job.lastRun ? (
                  <>
                    <td>
                      <span className={`status status-${job.lastRun.status}`}>{job.lastRun.status}</span>
                    </td>
                    <td>{formatTime(job.lastRun.finishedAt ?? job.lastRun.startedAt)}</td>
                    <td className="num">{formatBytes(job.lastRun.bytesStored)}</td>
                    <td className="num">
                      {job.lastRun.status === "running"
                        ? "running"
                        : formatDuration(durationSeconds(job.lastRun))}
                    </td>
                  </>
                ) : (
                  <td colSpan={4} className="muted">
                    never run
                  </td>
                )}
                <td>{job.nextRun ? formatTime(job.nextRun) : "not scheduled"}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
}
