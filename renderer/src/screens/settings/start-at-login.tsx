/** "Start Snapferry at login", so scheduled jobs run without anyone opening the app. */
import { useState } from "react";
import type { ApiError } from "../../../../preload/contract";
import { ErrorView } from "../../components/error-view";
import { useSettingsStore } from "../../stores/settings-store";

export function StartAtLogin() {
  const view = useSettingsStore((s) => s.view);
  const setStartAtLogin = useSettingsStore((s) => s.setStartAtLogin);
  const [error, setError] = useState<ApiError | null>(null);
  if (!view) return null;
  if (view.startAtLogin === null) {
    return (
      <p className="muted">
        Starting at login is set in the desktop app; in a browser over the loopback bridge it cannot be.
      </p>
    );
  }
  const toggle = async (enabled: boolean) => {
    const result = await setStartAtLogin(enabled);
    setError(result.ok ? null : result.error);
  };
  return (
    <div>
      <label>
        <input type="checkbox" checked={view.startAtLogin} onChange={(e) => void toggle(e.target.checked)} />{" "}
        Start Snapferry at login (scheduled jobs only run while Snapferry does)
      </label>
      {error ? <ErrorView title="Could not change starting at login" error={error} /> : null}
    </div>
  );
}
