/** Scheduled jobs: the list main keeps (with next and last runs), and the calls that change it. */
import { create } from "zustand";
import type { ApiError, ApiInput, ApiResult, JobView, RetentionPreview } from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "./passwords-store";

interface JobsState {
  jobs: JobView[];
  loaded: boolean;
  error: ApiError | null;
  load(): Promise<void>;
  save(input: ApiInput<"jobs.save">): Promise<ApiResult<JobView>>;
  remove(jobId: string): Promise<ApiResult<{ removed: boolean }>>;
  run(jobId: string): Promise<ApiResult<{ runId: string }>>;
  exportJob(jobId: string): Promise<ApiResult<{ fileName: string; json: string }>>;
  /** NAME replaces the exported one (main refuses a name already taken). */
  importJob(json: string, name?: string): Promise<ApiResult<JobView>>;
  previewRetention(
    input: Omit<ApiInput<"jobs.previewRetention">, "password">,
  ): Promise<ApiResult<RetentionPreview>>;
}

export const useJobsStore = create<JobsState>()((set, get) => ({
  jobs: [],
  loaded: false,
  error: null,
  async load() {
    const result = await call("jobs.list", {});
    set(result.ok ? { jobs: result.value, loaded: true, error: null } : { error: result.error });
  },
  async save(input) {
    const result = await call("jobs.save", input);
    if (result.ok) set((s) => ({ jobs: upsert(s.jobs, result.value) }));
    return result;
  },
  async remove(jobId) {
    const result = await call("jobs.remove", { jobId });
    if (result.ok) set((s) => ({ jobs: s.jobs.filter((j) => j.id !== jobId) }));
    return result;
  },
  async run(jobId) {
    const result = await call("jobs.run", { jobId });
    // The job now shows as running, with its new next run: main's list says so.
    if (result.ok) await get().load();
    return result;
  },
  exportJob: (jobId) => call("jobs.export", { jobId }),
  async importJob(json, name) {
    const result = await call("jobs.import", { json, ...(name ? { name } : {}) });
    if (result.ok) set((s) => ({ jobs: upsert(s.jobs, result.value) }));
    return result;
  },
  previewRetention: (input) =>
    call("jobs.previewRetention", { ...input, ...sessionPassword(input.repositoryId) }),
}));

function upsert(jobs: JobView[], job: JobView): JobView[] {
  return jobs.some((j) => j.id === job.id) ? jobs.map((j) => (j.id === job.id ? job : j)) : [...jobs, job];
}
