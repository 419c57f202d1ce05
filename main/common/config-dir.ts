/**
 * The per-user configuration folder: small files a user would expect to survive reinstalls
 * (accepted TLS thumbprints, later preferences). Never secrets: those live in the OS keychain.
 */
import { promises as fs } from "node:fs";
import os from "node:os";
import path from "node:path";

/** Tests and portable installs point this at a folder of their own. */
export const CONFIG_DIR_VARIABLE = "SNAPFERRY_CONFIG_DIR";

export interface ConfigDirContext {
  env?: NodeJS.ProcessEnv;
  platform?: NodeJS.Platform;
  home?: string;
}

/** Where this user's Snapferry configuration lives, following each platform's convention. */
export function configDir(context: ConfigDirContext = {}): string {
  const env = context.env ?? process.env;
  const platform = context.platform ?? process.platform;
  const home = context.home ?? os.homedir();
  const override = env[CONFIG_DIR_VARIABLE];
  if (override) return path.resolve(override);
  if (platform === "win32") {
    return path.win32.join(env.APPDATA || path.win32.join(home, "AppData", "Roaming"), "Snapferry");
  }
  if (platform === "darwin") return path.posix.join(home, "Library", "Application Support", "Snapferry");
  // The XDG spec says a relative XDG_CONFIG_HOME is invalid and must be ignored.
  const xdg = env.XDG_CONFIG_HOME;
  const base = xdg && path.posix.isAbsolute(xdg) ? xdg : path.posix.join(home, ".config");
  return path.posix.join(base, "snapferry");
}

/** Creates the folder if needed, readable by its owner only (other users have no business there). */
export async function ensureConfigDir(dir: string = configDir()): Promise<string> {
  await fs.mkdir(dir, { recursive: true, mode: 0o700 });
  return dir;
}
