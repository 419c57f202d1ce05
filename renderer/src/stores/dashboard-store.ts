/**
 * The dashboard: each job's last result, repository space and its forecast, and the machines left
 * without a recent restore point. Re-read when a run ends, since any of them may have changed.
 */
import { create } from "zustand";
import type { ApiError, AppEvent, DashboardView } from "../../../preload/contract";
import { call } from "../api/call";

export const DEFAULT_GAP_DAYS = 7;

interface DashboardState {
  view: DashboardView | null;
  gapDays: number;
  loading: boolean;
  error: ApiError | null;
  load(gapDays?: number): Promise<void>;
  /** Reloads when a run ends; running runs change nothing the dashboard shows. */
  apply(event: AppEvent): void;
}

export const useDashboardStore = create<DashboardState>()((set, get) => ({
  view: null,
  gapDays: DEFAULT_GAP_DAYS,
  loading: false,
  error: null,
  async load(gapDays = get().gapDays) {
    set({ gapDays, loading: true });
    const result = await call("dashboard.get", { gapDays });
    // A slower answer for an older gap must not overwrite a newer one.
    if (get().gapDays !== gapDays) return;
    set(
      result.ok
        ? { view: result.value, loading: false, error: null }
        : { loading: false, error: result.error },
    );
  },
  apply(event) {
    if (event.type !== "run" || event.run.status === "running") return;
    if (get().view || get().error) void get().load();
  },
}));
