/** The filter bar of the history: by job, by VM name, by status. */
import { useEffect } from "react";
import { useJobsStore } from "../../stores/jobs-store";
import { NO_FILTERS, isFiltered, type RunFilters, type RunStatusFilter } from "./run-filters";

const STATUSES: RunStatusFilter[] = ["running", "succeeded", "failed", "cancelled"];

export function HistoryFilters(props: { value: RunFilters; onChange(value: RunFilters): void }) {
  const jobs = useJobsStore((s) => s.jobs);
  const jobsLoaded = useJobsStore((s) => s.loaded);
  const loadJobs = useJobsStore((s) => s.load);
  useEffect(() => {
    if (!jobsLoaded) void loadJobs();
  }, [jobsLoaded, loadJobs]);
  const set = (patch: Partial<RunFilters>) => props.onChange({ ...props.value, ...patch });
  return (
    <div className="history-filters" role="group" aria-label="Filters">
      <label>
        Job{" "}
        <select value={props.value.jobId} onChange={(e) => set({ jobId: e.target.value })}>
          <option value="">All</option>
          {jobs.map((j) => (
            <option key={j.id} value={j.id}>
              {j.name}
            </option>
          ))}
        </select>
      </label>
      <label>
        VM{" "}
        <input
          type="search"
          placeholder="name or path"
          value={props.value.vm}
          maxLength={256}
          onChange={(e) => set({ vm: e.target.value })}
        />
      </label>
      <label>
        Status{" "}
        <select value={props.value.status} onChange={(e) => set({ status: statusOf(e.target.value) })}>
          <option value="">All</option>
          {STATUSES.map((s) => (
            <option key={s} value={s}>
              {s}
            </option>
          ))}
        </select>
      </label>
      {isFiltered(props.value) ? (
        <button type="button" className="link-button" onClick={() => props.onChange(NO_FILTERS)}>
          Clear filters
        </button>
      ) : null}
    </div>
  );
}

function statusOf(value: string): RunStatusFilter | "" {
  return STATUSES.find((s) => s === value) ?? "";
}
