/**
 * `vsphere://HOST[:PORT]/PATH` names a VM to back up (PATH: its name or inventory path) or a place
 * to restore to (PATH: DATACENTER/HOST-OR-CLUSTER). Segments are percent-decoded so names with
 * spaces or slashes can be given.
 */
import { UsageError } from "../../common/errors.js";
import { DEFAULT_VSPHERE_PORT, serverKey } from "./server-key.js";

export interface VsphereLocation {
  host: string;
  port: number;
  /** "host:port", as the known-servers store and the keychain key it. */
  server: string;
  /** The decoded path segments after the server. */
  path: string[];
}

export function isVsphereUrl(text: string): boolean {
  return /^vsphere:\/\//i.test(text);
}

export function parseVsphereUrl(text: string, what: string): VsphereLocation {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`"${text}" is not a vsphere:// address`, `Write ${what}.`);
  }
  if (url.protocol !== "vsphere:" || url.hostname === "") {
    throw new UsageError(`"${text}" is not a vsphere:// address`, `Write ${what}.`);
  }
  if (url.username || url.password) {
    throw new UsageError(
      "a vsphere:// address must not carry a user name or password",
      "Give the user with --user; the password comes from SNAPFERRY_VSPHERE_PASSWORD, the keychain or a prompt.",
    );
  }
  const port = url.port === "" ? DEFAULT_VSPHERE_PORT : Number(url.port);
  const path = url.pathname
    .split("/")
    .filter((s) => s !== "")
    .map((s) => decodeURIComponent(s));
  const host = url.hostname.replace(/^\[(.*)\]$/, "$1");
  return { host, port, server: serverKey(`${url.hostname}:${port}`), path };
}
