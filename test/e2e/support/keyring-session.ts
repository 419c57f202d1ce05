/**
 * A private Secret Service for one app under test: a D-Bus session of its own with gnome-keyring
 * unlocked in it, HOME and XDG_RUNTIME_DIR in a temporary folder. The app reaches it through the
 * bus address in its environment, so the user's own keyring is never touched and each profile
 * starts with an empty keychain, as a fresh machine would.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createInterface } from "node:readline";
import { requireTool } from "../../support/cli.js";
import { isolatedEnv } from "../../support/isolated-env.js";

export interface KeyringSession {
  /** The environment for a process that should use this keychain. */
  env: NodeJS.ProcessEnv;
  stop(): Promise<void>;
}

const READY_LINE = /^SNAPFERRY_BUS=(.+)$/;

export async function startKeyringSession(home: string): Promise<KeyringSession> {
  requireTool("dbus-run-session", "dbus-daemon");
  requireTool("gnome-keyring-daemon", "gnome-keyring");
  const base = isolatedEnv(home);
  const script =
    "printf %s pw | gnome-keyring-daemon --unlock --components=secrets >/dev/null && " +
    'echo "SNAPFERRY_BUS=$DBUS_SESSION_BUS_ADDRESS" && exec sleep 100000';
  // Its own process group, so stop() ends the bus, the keyring and the sleeper together.
  const child = spawn("dbus-run-session", ["--", "sh", "-c", script], {
    env: base,
    stdio: ["ignore", "pipe", "pipe"],
    detached: true,
  });
  const address = await busAddress(child);
  return {
    env: { ...base, DBUS_SESSION_BUS_ADDRESS: address },
    stop: () => stopGroup(child),
  };
}

function busAddress(child: ChildProcess): Promise<string> {
  return new Promise((resolve, reject) => {
    let stderr = "";
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => reject(new Error(`the keyring session did not start: ${stderr}`)), 20_000);
    if (!child.stdout) return reject(new Error("the keyring session has no stdout"));
    createInterface({ input: child.stdout }).on("line", (line) => {
      const found = READY_LINE.exec(line);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the keyring session exited (${code ?? "signal"}): ${stderr}`));
    });
  });
}

async function stopGroup(child: ChildProcess): Promise<void> {
  if (child.pid === undefined || child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  try {
    process.kill(-child.pid, "SIGTERM");
  } catch {
    return;
  }
  await Promise.race([exited, new Promise((resolve) => setTimeout(resolve, 5000))]);
}
