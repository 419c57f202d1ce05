/**
 * The history's filters (one job, a VM's name, one status), answered by main's runs.list so they
 * reach past the runs the window holds. Unfiltered, the screen shows the runs store as before.
 */
import { useEffect, useState } from "react";
import type { CatalogRun } from "../../../../main/catalog/catalog-api";
import type { ApiError, ApiInput } from "../../../../preload/contract";
import { call } from "../../api/call";
import { useRunsStore } from "../../stores/runs-store";

export type RunStatusFilter = NonNullable<ApiInput<"runs.list">["status"]>;

export interface RunFilters {
  jobId: string;
  vm: string;
  status: RunStatusFilter | "";
}

export const NO_FILTERS: RunFilters = { jobId: "", vm: "", status: "" };

const LIMIT = 500;
/** Typing a VM name asks main once the user pauses, not once per key. */
const TYPING_PAUSE_MS = 300;

export function isFiltered(filters: RunFilters): boolean {
  return filters.jobId !== "" || filters.vm.trim() !== "" || filters.status !== "";
}

export function runsListInput(filters: RunFilters): ApiInput<"runs.list"> {
  const vm = filters.vm.trim();
  return {
    limit: LIMIT,
    ...(filters.jobId ? { jobId: filters.jobId } : {}),
    ...(vm ? { vm } : {}),
    ...(filters.status ? { status: filters.status } : {}),
  };
}

export interface FilteredRuns {
  runs: CatalogRun[];
  error: ApiError | null;
}

/** The runs to show: the store's when unfiltered, else main's answer, asked again as runs change. */
export function useFilteredRuns(filters: RunFilters): FilteredRuns {
  const storeRuns = useRunsStore((s) => s.runs);
  const [answer, setAnswer] = useState<FilteredRuns>({ runs: [], error: null });
  const filtered = isFiltered(filters);
  const { jobId, vm, status } = filters;
  useEffect(() => {
    if (!filtered) return;
    let current = true;
    const timer = setTimeout(() => {
      void call("runs.list", runsListInput({ jobId, vm, status })).then((result) => {
        if (!current) return;
        setAnswer(result.ok ? { runs: result.value, error: null } : { runs: [], error: result.error });
      });
    }, TYPING_PAUSE_MS);
    return () => {
      current = false;
      clearTimeout(timer);
    };
    // storeRuns: a run starting or ending may change which runs match.
  }, [filtered, jobId, vm, status, storeRuns]);
  return filtered ? answer : { runs: storeRuns, error: null };
}
