/**
 * The preload script: the only bridge between the sandboxed renderer and main. It exposes exactly
 * the SnapferryApi of contract.ts on `window.snapferry`: `call` forwards a call by name over one
 * IPC channel (main validates the sender and the input), `subscribe` listens on the event channel
 * and returns the unsubscribe. Nothing of Electron or Node (no ipcRenderer) reaches the page.
 * Bundled into one CommonJS file (preload/vite.config.ts): sandboxed preloads cannot load others.
 */
import { contextBridge, ipcRenderer, type IpcRendererEvent } from "electron";
import {
  CALL_CHANNEL,
  EVENT_CHANNEL,
  type ApiInput,
  type ApiName,
  type ApiOutput,
  type ApiResult,
  type AppEvent,
  type SnapferryApi,
} from "./contract.js";

const api: SnapferryApi = {
  call<K extends ApiName>(name: K, input: ApiInput<K>): Promise<ApiResult<ApiOutput<K>>> {
    return ipcRenderer.invoke(CALL_CHANNEL, name, input) as Promise<ApiResult<ApiOutput<K>>>;
  },
  subscribe(listener: (event: AppEvent) => void): () => void {
    const forward = (_event: IpcRendererEvent, appEvent: AppEvent): void => listener(appEvent);
    ipcRenderer.on(EVENT_CHANNEL, forward);
    return () => {
      ipcRenderer.removeListener(EVENT_CHANNEL, forward);
    };
  },
};

contextBridge.exposeInMainWorld("snapferry", api);
