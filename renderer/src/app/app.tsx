/** The app frame: sidebar, the current screen, and the backup and restore dialogs over it. */
import { useEffect } from "react";
import { BackupDialog } from "../screens/backup/backup-dialog";
import { HistoryScreen } from "../screens/history/history-screen";
import { InventoryScreen } from "../screens/inventory/inventory-screen";
import { RepositoriesScreen } from "../screens/repositories/repositories-screen";
import { RestoreWizard } from "../screens/restore/restore-wizard";
import { SettingsScreen } from "../screens/settings/settings-screen";
import { useAppStore } from "../stores/app-store";
import { useUiStore } from "../stores/ui-store";
import { ErrorView } from "../components/error-view";
import { bootstrap } from "./bootstrap";
import { Sidebar } from "./sidebar";

export function App() {
  const screen = useUiStore((s) => s.screen);
  const dialog = useUiStore((s) => s.dialog);
  const openDialog = useUiStore((s) => s.openDialog);
  const appError = useAppStore((s) => s.error);
  useEffect(() => bootstrap(), []);
  const close = () => openDialog(null);
  return (
    <div className="app">
      <Sidebar />
      <main className="content" aria-label={screen}>
        {appError ? (
          <ErrorView title="Snapferry's background service did not answer" error={appError} />
        ) : null}
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
    </div>
  );
}
