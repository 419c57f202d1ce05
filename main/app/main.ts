/**
 * The Electron app's entry (package.json "main"): one instance per user, the hardened session and
 * window, the app API behind IPC, the tray, taskbar progress and notifications. The engines run
 * in worker threads of this process (main/workers), so the window stays responsive during a job.
 */
import { app, BrowserWindow, dialog, session } from "electron";
import path from "node:path";
import type { Catalog } from "../catalog/catalog-api.js";
import { CATALOG_FILE_NAME, CatalogUnreadableError, setCatalogAside } from "../catalog/catalog.js";
import { createAppApi, type AppApi } from "../services/app-api.js";
import { appDataDir, openAppCatalog } from "../services/app-data-dir.js";
import { EventHub } from "../services/app-events.js";
import { KeychainCredentialStore } from "../sources/vsphere/keychain-credential-store.js";
import { registerAppScheme, serveRenderer } from "./app-protocol.js";
import { appPaths } from "./app-paths.js";
import { registerIpc } from "./ipc.js";
import { trackProgress } from "./progress.js";
import { hardenSession, lockDownWebContents } from "./session-security.js";
import { AppTray } from "./tray.js";
import type { TrayAction } from "./tray-menu.js";
import { createMainWindow } from "./window.js";

const log = (message: string): void => console.error(`snapferry: ${message}`);

registerAppScheme();

if (!app.requestSingleInstanceLock()) {
  // Another Snapferry runs for this user: it shows its window (second-instance) and this one leaves.
  app.quit();
} else {
  app.whenReady().then(start).catch(fail);
}

async function openCatalogOrAsk(dir: string): Promise<Catalog> {
  try {
    return await openAppCatalog(dir);
  } catch (err) {
    if (!(err instanceof CatalogUnreadableError)) throw err;
    const { response } = await dialog.showMessageBox({
      type: "error",
      title: "Snapferry's catalog cannot be read",
      message: err.message,
      detail: err.hint,
      buttons: ["Set it aside and start a fresh one", "Quit"],
      defaultId: 0,
      cancelId: 1,
    });
    if (response !== 0) throw err;
    log(`catalog set aside as ${setCatalogAside(path.join(dir, CATALOG_FILE_NAME))}`);
    return openAppCatalog(dir);
  }
}

async function start(): Promise<void> {
  lockDownWebContents(log);
  const paths = appPaths(app.getAppPath());
  hardenSession(session.defaultSession);
  serveRenderer(session.defaultSession, paths.renderer);
  const catalog = await openCatalogOrAsk(appDataDir());
  const hub = new EventHub((err) => log(`event listener failed: ${String(err)}`));
  const api = createAppApi({
    catalog,
    credentials: new KeychainCredentialStore(),
    events: hub.emit,
    door: "electron",
    log,
    background: true,
    loginItem: {
      get: () => app.getLoginItemSettings().openAtLogin,
      set: (enabled) => app.setLoginItemSettings({ openAtLogin: enabled }),
    },
  });

  let window: BrowserWindow | undefined;
  const showWindow = (): void => {
    if (!window || window.isDestroyed()) window = createMainWindow(paths, log);
    if (window.isMinimized()) window.restore();
    window.focus();
  };
  showWindow();
  app.on("second-instance", showWindow);
  app.on("activate", showWindow);

  registerIpc(api, hub, () => (window && !window.isDestroyed() ? [window] : []), log);
  const progress = trackProgress(hub, () => window);
  const tray = new AppTray(
    paths.trayIcon,
    () => ({
      lastRun: catalog.runs.list({ limit: 1 })[0],
      hasBackupJob: catalog.jobs.list().some((j) => j.kind === "backup"),
      running: api.runs.running,
    }),
    (action) => act(action, api, showWindow),
  );
  hub.subscribe((event) => (event.type === "run" ? tray.refresh() : undefined));

  // A backup keeps running with its window closed: the tray shows it and offers to quit.
  app.on("window-all-closed", () => {
    if (api.runs.running === 0 && process.platform !== "darwin") app.quit();
  });
  let quitting = false;
  app.on("before-quit", (event) => {
    if (quitting) return;
    event.preventDefault();
    quitting = true;
    void shutdown(api, catalog, () => {
      progress.stop();
      tray.destroy();
    }).finally(() => app.quit());
  });
}

function act(action: TrayAction, api: AppApi, showWindow: () => void): void {
  if (action === "open") return showWindow();
  if (action === "quit") return app.quit();
  void api.backupNow().then((result) => {
    // Without a saved password, the window asks for it.
    if (!result.ok) {
      log(`Back up now: ${result.error.message}`);
      showWindow();
    }
  });
}

/** Cancels running jobs (each leaves the repository consistent) and closes the catalog. */
async function shutdown(api: AppApi, catalog: Catalog, cleanup: () => void): Promise<void> {
  try {
    await api.shutdown();
  } finally {
    cleanup();
    catalog.close();
  }
}

function fail(err: unknown): void {
  const message = err instanceof Error ? err.message : String(err);
  log(`cannot start: ${err instanceof Error ? (err.stack ?? message) : message}`);
  dialog.showErrorBox("Snapferry cannot start", message);
  app.exit(1);
}
