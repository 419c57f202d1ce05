/**
 * Runs (backups, restores, checks, prunes): the history from the catalog, kept current by main's
 * events, with the live progress of running ones per run and per disk.
 */
import { create } from "zustand";
import type { CatalogRun, RunLogLine } from "../../../main/catalog/catalog-api";
import type { ProgressEvent } from "../../../main/engines/progress";
import type { ApiError, AppEvent, RunPhase } from "../../../preload/contract";
import { call } from "../api/call";
import { getApi } from "../api/current";

export interface DiskProgress {
  index: number;
  name: string;
  bytesTotal: number;
  bytesDone: number;
}

export interface LiveRun {
  progress: ProgressEvent;
  phase: RunPhase;
  /** The phase came from main: it stands until main names another, whatever the counts say. */
  phaseFromMain: boolean;
  disks: DiskProgress[];
}

/** A log viewer shows the tail; a runaway run must not grow the window's memory without bound. */
const MAX_LOG_LINES = 5000;

interface RunsState {
  runs: CatalogRun[];
  loaded: boolean;
  error: ApiError | null;
  live: Record<string, LiveRun>;
  logs: Record<string, RunLogLine[]>;
  logErrors: Record<string, ApiError>;
  load(limit?: number): Promise<void>;
  loadLogs(runId: string): Promise<void>;
  cancel(runId: string): Promise<ApiError | null>;
  apply(event: AppEvent): void;
  /** Subscribes to main's events; returns the unsubscribe. */
  listen(): () => void;
}

export const useRunsStore = create<RunsState>()((set, get) => ({
  runs: [],
  loaded: false,
  error: null,
  live: {},
  logs: {},
  logErrors: {},
  async load(limit = 500) {
    const result = await call("runs.list", { limit });
    set(result.ok ? { runs: result.value, loaded: true, error: null } : { error: result.error });
  },
  async loadLogs(runId) {
    const result = await call("runs.logs", { runId });
    set((s) =>
      result.ok
        ? { logs: { ...s.logs, [runId]: result.value.slice(-MAX_LOG_LINES) } }
        : { logErrors: { ...s.logErrors, [runId]: result.error } },
    );
  },
  async cancel(runId) {
    const result = await call("jobs.cancel", { runId });
    return result.ok ? null : result.error;
  },
  apply(event) {
    if (event.type === "progress") {
      set((s) => ({ live: { ...s.live, [event.runId]: nextLive(s.live[event.runId], event) } }));
    } else if (event.type === "run") {
      set((s) => ({ runs: upsertRun(s.runs, event.run) }));
    } else if (event.type === "log") {
      const lines = get().logs[event.line.runId];
      if (!lines) return;
      set((s) => ({ logs: { ...s.logs, [event.line.runId]: [...lines, event.line].slice(-MAX_LOG_LINES) } }));
    }
  },
  listen() {
    try {
      return getApi().subscribe((event) => get().apply(event));
    } catch (err) {
      set({ error: { code: "internal", message: err instanceof Error ? err.message : String(err) } });
      return () => undefined;
    }
  },
}));

function upsertRun(runs: CatalogRun[], run: CatalogRun): CatalogRun[] {
  const at = runs.findIndex((r) => r.id === run.id);
  if (at < 0) return [run, ...runs];
  const next = [...runs];
  next[at] = run;
  return next;
}

/** The phase main named, or one read from the counts when it named none. */
export function inferPhase(progress: ProgressEvent, given: RunPhase | undefined): RunPhase {
  if (given) return given;
  if (progress.final) return "commit";
  return progress.bytesDone > 0 ? "transfer" : "pre-check";
}

function nextLive(
  previous: LiveRun | undefined,
  event: { progress: ProgressEvent; phase?: RunPhase },
): LiveRun {
  const { progress } = event;
  let disks = previous?.disks ?? [];
  const disk = progress.disk;
  if (disk) {
    // Events are throttled, so a disk's last one may stop short: once a later disk starts, or the
    // run is final, the earlier ones are complete.
    disks = disks
      .filter((d) => d.index !== disk.index)
      .map((d) => (d.index < disk.index ? { ...d, bytesDone: d.bytesTotal } : d));
    disks = [...disks, { ...disk }].sort((a, b) => a.index - b.index);
  }
  if (progress.final) disks = disks.map((d) => ({ ...d, bytesDone: d.bytesTotal }));
  const given = event.phase ?? (previous?.phaseFromMain ? previous.phase : undefined);
  return { progress, phase: inferPhase(progress, given), phaseFromMain: given !== undefined, disks };
}
