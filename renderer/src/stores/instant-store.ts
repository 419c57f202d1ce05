/**
 * Running instant recoveries ("Run from backup"), as main reports them: polled every 2 s while a
 * panel shows them, so the overlay size and the client count stay current.
 */
import { create } from "zustand";
import type { ApiError, InstantView } from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "./passwords-store";

export const INSTANT_POLL_MS = 2000;

interface InstantState {
  sessions: InstantView[];
  error: ApiError | null;
  start(repositoryId: string, restorePointId: string, disk: number): Promise<InstantView | ApiError>;
  refresh(): Promise<void>;
  /** Stops serving; the overlay (the VM's writes) is kept unless `discard`. */
  stop(sessionId: string, discard?: boolean): Promise<ApiError | null>;
  finalize(sessionId: string, path: string, format: FinalizeFormat): Promise<{ runId: string } | ApiError>;
}

export type FinalizeFormat = Parameters<typeof call<"instant.finalize">>[1]["format"];

export const useInstantStore = create<InstantState>()((set, get) => ({
  sessions: [],
  error: null,
  async start(repositoryId, restorePointId, disk) {
    const result = await call("instant.start", {
      repositoryId,
      restorePointId,
      disk,
      ...sessionPassword(repositoryId),
    });
    if (!result.ok) return result.error;
    set((s) => ({
      sessions: [...s.sessions.filter((x) => x.sessionId !== result.value.sessionId), result.value],
    }));
    return result.value;
  },
  async refresh() {
    const result = await call("instant.list", {});
    if (result.ok) set({ sessions: result.value, error: null });
    else set({ error: result.error });
  },
  async stop(sessionId, discard = false) {
    const result = await call("instant.stop", { sessionId, ...(discard ? { discard: true } : {}) });
    if (!result.ok) return result.error;
    set((s) => ({ sessions: s.sessions.filter((x) => x.sessionId !== sessionId) }));
    return null;
  },
  async finalize(sessionId, path, format) {
    const result = await call("instant.finalize", { sessionId, path, format });
    if (!result.ok) return result.error;
    await get().refresh();
    return result.value;
  },
}));
