/**
 * The API the renderer uses: inside the app, what preload exposed on `window.snapferry`; in a
 * browser (the loopback bridge), the bridge client.
 */
import type { SnapferryApi } from "../../../preload/contract";
import { createBridgeClient } from "./bridge-client";

declare global {
  interface Window {
    snapferry?: SnapferryApi;
  }
}

export const api: SnapferryApi = window.snapferry ?? createBridgeClient();
