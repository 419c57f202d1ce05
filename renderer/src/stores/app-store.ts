/** What main says about itself: version, platform, which door the UI came through, keychain. */
import { create } from "zustand";
import type { ApiError, AppInfo } from "../../../preload/contract";
import { call } from "../api/call";

interface AppState {
  info: AppInfo | null;
  error: ApiError | null;
  load(): Promise<void>;
}

export const useAppStore = create<AppState>()((set) => ({
  info: null,
  error: null,
  async load() {
    const result = await call("app.info", {});
    set(result.ok ? { info: result.value, error: null } : { error: result.error });
  },
}));
