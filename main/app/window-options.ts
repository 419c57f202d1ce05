/**
 * The main window's options, Electron's security checklist applied: the renderer is isolated
 * from the preload (contextIsolation), sandboxed, without Node, with web security on and nothing
 * the app does not use (webviews, middle-click windows, drag-and-drop navigation, experimental
 * features). window.ts writes the same preferences out literally, `satisfies` this type, so that
 * TypeScript forbids any drift and electronegativity's static scan can read them. Plain data.
 */
export const SECURE_WEB_PREFERENCES = {
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
  // Middle-click would open links in a new window, around the window-open handler.
  disableBlinkFeatures: "Auxclick",
} as const;

export type SecureWebPreferences = typeof SECURE_WEB_PREFERENCES & { preload: string };

/** Everything but the web preferences: size, title, icon. */
export function mainWindowFrame(icon: string) {
  return {
    width: 1280,
    height: 820,
    minWidth: 900,
    minHeight: 600,
    title: "Snapferry",
    icon,
    // Shown once the first paint is ready, so the user never sees a blank frame.
    show: false,
    autoHideMenuBar: true,
  };
}
