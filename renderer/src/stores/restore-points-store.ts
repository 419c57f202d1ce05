/** Restore points per repository, as the catalog caches them (refresh reads the repository). */
import { create } from "zustand";
import type { CatalogRestorePoint } from "../../../main/catalog/catalog-api";
import type { ApiError } from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "./passwords-store";

export type PointsState =
  | { status: "loading" }
  | { status: "ready"; points: CatalogRestorePoint[] }
  | { status: "error"; error: ApiError };

interface RestorePointsState {
  byRepository: Record<string, PointsState>;
  load(repositoryId: string, refresh?: boolean): Promise<void>;
}

export const useRestorePointsStore = create<RestorePointsState>()((set) => ({
  byRepository: {},
  async load(repositoryId, refresh = false) {
    set((s) => ({ byRepository: { ...s.byRepository, [repositoryId]: { status: "loading" } } }));
    const result = await call("restorePoints.list", {
      repositoryId,
      refresh,
      ...sessionPassword(repositoryId),
    });
    const next: PointsState = result.ok
      ? { status: "ready", points: result.value }
      : { status: "error", error: result.error };
    set((s) => ({ byRepository: { ...s.byRepository, [repositoryId]: next } }));
  },
}));

/** Every loaded restore point, newest first. */
export function allRestorePoints(byRepository: Record<string, PointsState>): CatalogRestorePoint[] {
  return Object.values(byRepository)
    .flatMap((state) => (state.status === "ready" ? state.points : []))
    .sort((a, b) => b.time.localeCompare(a.time));
}
