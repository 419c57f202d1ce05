/**
 * Electron's security checklist for everything the app's session loads and every web contents it
 * creates: the strict CSP on every response, every permission (camera, notifications from pages,
 * geolocation…) denied, downloads refused but for the files the app's own pages make (blob: of
 * app://), and no navigation, new window or webview, ever.
 */
import { isOwnBlob } from "./app-origin.js";
import { app, type Session } from "electron";
import { CONTENT_SECURITY_POLICY } from "../common/content-security-policy.js";

export function hardenSession(session: Session): void {
  session.webRequest.onHeadersReceived((details, callback) => {
    callback({
      responseHeaders: { ...details.responseHeaders, "Content-Security-Policy": [CONTENT_SECURITY_POLICY] },
    });
  });
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
  session.setDevicePermissionHandler(() => false);
  // The only downloads: files the app's own pages make (an exported job, a run's log) as blob:
  // URLs of app://. Electron then asks where to save them. Anything else is refused.
  session.on("will-download", (event, item) => {
    if (!isOwnBlob(item.getURL())) event.preventDefault();
  });
}

/** The app's pages never leave app://: links and redirects go nowhere, popups are never opened. */
export function lockDownWebContents(log: (message: string) => void): void {
  app.on("web-contents-created", (_event, contents) => {
    contents.on("will-navigate", (event, url) => {
      event.preventDefault();
      log(`blocked navigation to ${url}`);
    });
    contents.on("will-redirect", (event) => event.preventDefault());
    contents.on("will-attach-webview", (event) => event.preventDefault());
    contents.setWindowOpenHandler(({ url }) => {
      log(`blocked a new window for ${url}`);
      return { action: "deny" };
    });
  });
}
