/**
 * Where the app's own pages live: a privileged custom scheme rather than file://, so the renderer
 * has a real origin ('self' in the CSP means only the app's files, not the whole disk) and the IPC
 * sender check has one exact origin to compare with. Plain data: no electron import.
 */
export const APP_SCHEME = "app";
export const APP_HOST = "snapferry";
export const APP_ORIGIN = `${APP_SCHEME}://${APP_HOST}`;
export const APP_START_URL = `${APP_ORIGIN}/index.html`;

/** True for a URL of the app's own pages (and nothing else: not file://, not another host). */
export function isAppUrl(text: string | undefined): boolean {
  if (text === undefined) return false;
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (
    url.protocol === `${APP_SCHEME}:` && url.host === APP_HOST && url.username === "" && url.password === ""
  );
}

/** A download the app's own pages made (an exported job, a run's log): a blob: URL of app://. */
export function isOwnBlob(url: string): boolean {
  return url.startsWith(`blob:${APP_ORIGIN}/`);
}
