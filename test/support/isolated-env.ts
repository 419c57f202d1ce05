/**
 * An environment cut off from the test runner's own session: nothing reaches the real user's bus,
 * keyring, display or configuration, nor finds a password ready; HOME and XDG_RUNTIME_DIR point into
 * `home`.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";

const ISOLATED_VARIABLES = new Set([
  "DBUS_SESSION_BUS_ADDRESS",
  "DISPLAY",
  "WAYLAND_DISPLAY",
  "XDG_CONFIG_HOME",
  "XDG_DATA_HOME",
  "SNAPFERRY_CONFIG_DIR",
  "SNAPFERRY_DATA_DIR",
  "SNAPFERRY_PASSWORD",
  "SNAPFERRY_VSPHERE_PASSWORD",
]);

export function isolatedEnv(home: string): NodeJS.ProcessEnv {
  const runtime = path.join(home, "run");
  mkdirSync(runtime, { recursive: true, mode: 0o700 });
  const inherited = Object.entries(process.env).filter(([name]) => !ISOLATED_VARIABLES.has(name));
  return { ...Object.fromEntries(inherited), HOME: home, XDG_RUNTIME_DIR: runtime };
}
