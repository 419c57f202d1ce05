/** The main window, loading the app's own start page with the preferences of window-options.ts. */
import { BrowserWindow } from "electron";
import { APP_START_URL } from "./app-origin.js";
import type { AppPaths } from "./app-paths.js";
import { mainWindowFrame, type SecureWebPreferences } from "./window-options.js";

export function createMainWindow(paths: AppPaths, log: (message: string) => void): BrowserWindow {
  const window = new BrowserWindow({
    ...mainWindowFrame(paths.icon),
    // Stated literally, not spread from window-options.ts, so electronegativity can read them.
    webPreferences: {
      preload: paths.preload,
      contextIsolation: true,
      sandbox: true,
      nodeIntegration: false,
      nodeIntegrationInWorker: false,
      nodeIntegrationInSubFrames: false,
      webSecurity: true,
      allowRunningInsecureContent: false,
      webviewTag: false,
      experimentalFeatures: false,
      navigateOnDragDrop: false,
      safeDialogs: true,
      spellcheck: false,
      disableBlinkFeatures: "Auxclick",
    } satisfies SecureWebPreferences,
  });
  window.once("ready-to-show", () => window.show());
  window.loadURL(APP_START_URL).catch((err: unknown) => log(`cannot load the window: ${String(err)}`));
  return window;
}
