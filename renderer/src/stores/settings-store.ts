/** App settings main keeps: email reports (the SMTP password only as "saved") and start at login. */
import { create } from "zustand";
import type { ApiError, ApiResult, SettingsView } from "../../../preload/contract";
import type { EmailSettings } from "../../../main/notify/email-settings";
import { call } from "../api/call";

interface SettingsState {
  view: SettingsView | null;
  error: ApiError | null;
  load(): Promise<void>;
  saveEmail(email: EmailSettings | null, smtpPassword?: string): Promise<ApiResult<SettingsView>>;
  testEmail(): Promise<ApiResult<{ sent: true; to: string[] }>>;
  setStartAtLogin(enabled: boolean): Promise<ApiResult<SettingsView>>;
}

export const useSettingsStore = create<SettingsState>()((set) => ({
  view: null,
  error: null,
  async load() {
    const result = await call("settings.get", {});
    set(result.ok ? { view: result.value, error: null } : { error: result.error });
  },
  async saveEmail(email, smtpPassword) {
    const result = await call("settings.saveEmail", { email, ...(smtpPassword ? { smtpPassword } : {}) });
    if (result.ok) set({ view: result.value });
    return result;
  },
  testEmail: () => call("settings.testEmail", {}),
  async setStartAtLogin(enabled) {
    const result = await call("settings.setStartAtLogin", { enabled });
    if (result.ok) set({ view: result.value });
    return result;
  },
}));
