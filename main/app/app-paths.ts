/**
 * Where the app's files are, from the folder holding package.json (app.getAppPath(): the project in
 * development, the asar archive when packaged): the built renderer, the bundled preload, the icons.
 */
import path from "node:path";

export interface AppPaths {
  renderer: string;
  preload: string;
  icon: string;
  /** A small icon for the tray (the same picture; Electron scales it). */
  trayIcon: string;
}

export function appPaths(appRoot: string): AppPaths {
  return {
    renderer: path.join(appRoot, "dist", "renderer"),
    // Sandboxed preloads cannot load other files: Vite bundles it into one CommonJS file.
    preload: path.join(appRoot, "dist", "preload", "index.cjs"),
    icon: path.join(appRoot, "assets", "icon.png"),
    trayIcon: path.join(appRoot, "assets", "icon.png"),
  };
}
