/**
 * The app frame: sidebar, the current screen, the backup and restore dialogs over it, and main's
 * notices in a corner.
 */
import { useEffect } from "react";
import type { AppEvent } from "../../../preload/contract";
import { getApi } from "../api/current";
import { BackupDialog } from "../screens/backup/backup-dialog";
import { DashboardScreen } from "../screens/dashboard/dashboard-screen";
import { HistoryScreen } from "../screens/history/history-screen";
import { JobsScreen } from "../screens/jobs/jobs-screen";
import { InventoryScreen } from "../screens/inventory/inventory-screen";
import { RepositoriesScreen } from "../screens/repositories/repositories-screen";
import { RestoreWizard } from "../screens/restore/restore-wizard";
import { SettingsScreen } from "../screens/settings/settings-screen";
import { useAppStore } from "../stores/app-store";
import { useDashboardStore } from "../stores/dashboard-store";
import { useJobsStore } from "../stores/jobs-store";
import { useUiStore } from "../stores/ui-store";
import { ErrorView } from "../components/error-view";
import { bootstrap } from "./bootstrap";
import { Sidebar } from "./sidebar";
import "../styles/jobs.css";

export function App() {
  const screen = useUiStore((s) => s.screen);
  const dialog = useUiStore((s) => s.dialog);
  const openDialog = useUiStore((s) => s.openDialog);
  const appError = useAppStore((s) => s.error);
  useEffect(() => bootstrap(), []);
  useEffect(() => getApi().subscribe(onJobEvent), []);
  const close = () => openDialog(null);
  return (
    <div className="app">
      <Sidebar />
      <main className="content" aria-label={screen}>
        {appError ? (
          <ErrorView title="Snapferry's background service did not answer" error={appError} />
        ) : null}
        {screen === "dashboard" ? <DashboardScreen /> : null}
        {screen === "jobs" ? <JobsScreen /> : null}
        {screen === "inventory" ? <InventoryScreen /> : null}
        {screen === "repositories" ? <RepositoriesScreen /> : null}
        {screen === "history" ? <HistoryScreen /> : null}
        {screen === "settings" ? <SettingsScreen /> : null}
      </main>
      {dialog?.kind === "backup" ? <BackupDialog vmKeys={dialog.vmKeys} onClose={close} /> : null}
      {dialog?.kind === "restore" ? (
        <RestoreWizard
          {...(dialog.repositoryId ? { repositoryId: dialog.repositoryId } : {})}
          {...(dialog.restorePointId ? { restorePointId: dialog.restorePointId } : {})}
          onClose={close}
        />
      ) : null}
      <Notices />
    </div>
  );
}

/** Keeps the job screens current: a run's start or end changes a job's state and the dashboard. */
function onJobEvent(event: AppEvent): void {
  if (event.type === "notice") {
    useUiStore.getState().notify(event.level, event.message);
  } else if (event.type === "run") {
    useDashboardStore.getState().apply(event);
    const jobs = useJobsStore.getState();
    if (event.run.jobId && jobs.loaded) void jobs.load();
  }
}

/** Main's notices ("it is safe to unplug the Friday disk"), each until the user closes it. */
function Notices() {
  const notices = useUiStore((s) => s.notices);
  const dismiss = useUiStore((s) => s.dismissNotice);
  if (notices.length === 0) return null;
  return (
    <ul className="notices" aria-label="Notices">
      {notices.map((n) => (
        <li key={n.id} className={`notice notice-${n.level}`} role={n.level === "warn" ? "alert" : "status"}>
          <span>{n.message}</span>
          <button type="button" className="link-button" onClick={() => dismiss(n.id)}>
            Dismiss
          </button>
        </li>
      ))}
    </ul>
  );
}
