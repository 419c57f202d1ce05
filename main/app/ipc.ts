/**
 * The app's one IPC handler: CALL_CHANNEL, answered only for the app's own windows' top frames
 * (sender-policy.ts), with every argument validated by the app API before anything is done. Events
 * go to the app's windows on EVENT_CHANNEL, and to nothing else.
 */
import { ipcMain, type BrowserWindow } from "electron";
import { CALL_CHANNEL, EVENT_CHANNEL, type ApiResult } from "../../preload/contract.js";
import type { EventHub } from "../services/app-events.js";
import type { AppApi } from "../services/app-api.js";
import { isAppUrl } from "./app-origin.js";
import { isTrustedSender } from "./sender-policy.js";

export function registerIpc(
  api: AppApi,
  hub: EventHub,
  windows: () => BrowserWindow[],
  log: (message: string) => void,
): () => void {
  ipcMain.handle(CALL_CHANNEL, (event, name: unknown, input: unknown): Promise<ApiResult<unknown>> => {
    const frame = event.senderFrame;
    const trusted = new Set(windows().map((w) => w.webContents.id));
    const facts = { webContentsId: event.sender.id, frameUrl: frame?.url, topFrame: frame?.parent === null };
    if (!isTrustedSender(facts, trusted)) {
      log(`refused an IPC call from ${facts.frameUrl ?? "a frame that is gone"}`);
      return Promise.resolve({
        ok: false,
        error: { code: "usage", message: "this page may not call Snapferry" },
      });
    }
    return api.handle(name, input);
  });
  const unsubscribe = hub.subscribe((event) => {
    for (const window of windows()) {
      if (!window.isDestroyed() && isAppUrl(window.webContents.getURL())) {
        window.webContents.send(EVENT_CHANNEL, event);
      }
    }
  });
  return () => {
    ipcMain.removeHandler(CALL_CHANNEL);
    unsubscribe();
  };
}
