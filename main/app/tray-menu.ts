/**
 * The tray icon's menu as data: open the window, "Back up now" (the most recent backup job again,
 * enabled once there is one), the last run's status, quit. tray.ts turns it into Electron's menu.
 */
import type { CatalogRun } from "../catalog/catalog-api.js";

export type TrayAction = "open" | "backup-now" | "quit";

export type TrayItem =
  { type: "separator" } | { type: "item"; label: string; enabled: boolean; action?: TrayAction };

export interface TrayState {
  lastRun: CatalogRun | undefined;
  hasBackupJob: boolean;
  running: number;
}

const STATUS_WORDS: Record<CatalogRun["status"], string> = {
  running: "running",
  succeeded: "succeeded",
  failed: "failed",
  cancelled: "cancelled",
};

export function statusLine(state: TrayState): string {
  if (state.running > 0) return state.running === 1 ? "1 job running" : `${state.running} jobs running`;
  const run = state.lastRun;
  if (!run) return "No job has run yet";
  const when = new Date(run.finishedAt ?? run.startedAt).toLocaleString();
  return `Last: ${run.title}: ${STATUS_WORDS[run.status]} (${when})`;
}

export function trayMenu(state: TrayState): TrayItem[] {
  return [
    { type: "item", label: "Open Snapferry", enabled: true, action: "open" },
    { type: "item", label: "Back up now", enabled: state.hasBackupJob, action: "backup-now" },
    { type: "separator" },
    { type: "item", label: statusLine(state), enabled: false },
    { type: "separator" },
    { type: "item", label: "Quit Snapferry", enabled: true, action: "quit" },
  ];
}
