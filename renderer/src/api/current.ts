/**
 * The one way the renderer reaches main: the SnapferryApi of preload/contract.ts, as ./index picks
 * it (preload's `window.snapferry` in the app, the bridge client in a browser). Tests install their
 * own with setApi.
 */
import type { SnapferryApi } from "../../../preload/contract";
import { api } from "./index";

let installed: SnapferryApi | undefined;

export function setApi(replacement: SnapferryApi | undefined): void {
  installed = replacement;
}

export function getApi(): SnapferryApi {
  return installed ?? api;
}
