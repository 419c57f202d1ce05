/**
 * The app as the end-to-end specs drive it: a `Page` showing the real renderer over the real
 * services, with its own data folder (catalog), configuration folder (accepted thumbprints) and
 * keychain. Where Electron's binary exists the real app is launched with Playwright's `_electron`;
 * elsewhere (as on machines where it cannot be downloaded) `npm start`'s loopback bridge serves the
 * same UI to Debian's Chromium. The specs only see the `Page`, so they run the same on both.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { mkdirSync } from "node:fs";
import path from "node:path";
import { createInterface } from "node:readline";
import { fileURLToPath } from "node:url";
import { chromium, type BrowserContext, type Page } from "playwright-core";
import { electronBinary } from "../../../main/bridge/electron-binary.js";
import { CHROMIUM_ARGS, CHROMIUM_PATH } from "../../support/chromium.js";
import { requireTool } from "../../support/cli.js";
import { makeTempDir } from "../../support/tmp.js";
import { launchElectronApp } from "./electron-app.js";
import { startKeyringSession, type KeyringSession } from "./keyring-session.js";

export const PROJECT_ROOT = fileURLToPath(new URL("../../../../", import.meta.url));
const START_SCRIPT = path.join(PROJECT_ROOT, "dist", "main", "bridge", "start.js");
export const VIEWPORT = { width: 1280, height: 800 };

export interface AppUnderTest {
  page: Page;
  /** "electron" when the real app runs, "bridge" when Chromium shows it over the loopback bridge. */
  door: "electron" | "bridge";
  /** This profile's temporary folder (data, configuration, home, browser profile live under it). */
  dir: string;
  dataDir: string;
  /** What the page reported as errors (console errors, uncaught exceptions), for a final check. */
  problems: string[];
  close(): Promise<void>;
}

/** Starts a fresh profile: an empty catalog, no accepted certificates, an empty keychain. */
export async function startApp(name: string): Promise<AppUnderTest> {
  const tmp = makeTempDir(`e2e-${name}`);
  const dataDir = path.join(tmp.dir, "data");
  const configDir = path.join(tmp.dir, "config");
  mkdirSync(dataDir);
  mkdirSync(configDir);
  let keyring: KeyringSession | undefined;
  const closers: (() => Promise<void>)[] = [];
  const close = async () => {
    for (const closeOne of closers.reverse()) await closeOne().catch(() => undefined);
    await keyring?.stop();
    tmp.cleanup();
  };
  try {
    keyring = await startKeyringSession(path.join(tmp.dir, "home"));
    const env = { ...keyring.env, SNAPFERRY_DATA_DIR: dataDir, SNAPFERRY_CONFIG_DIR: configDir };
    const binary = electronBinary();
    let page: Page;
    if (binary) {
      const app = await launchElectronApp(binary, env);
      closers.push(() => app.close());
      page = await app.firstWindow();
      await page.setViewportSize(VIEWPORT);
    } else {
      const bridge = await startBridgeProcess(env);
      closers.push(bridge.stop);
      const context = await openChromium(path.join(tmp.dir, "chromium-profile"));
      closers.push(() => context.close());
      page = await context.newPage();
      await page.goto(bridge.url);
    }
    const problems: string[] = [];
    page.on("pageerror", (e) => problems.push(e.message));
    page.on("console", (m) => (m.type() === "error" ? problems.push(m.text()) : undefined));
    await page.getByRole("navigation", { name: "Main" }).waitFor({ timeout: 20_000 });
    return { page, door: binary ? "electron" : "bridge", dir: tmp.dir, dataDir, problems, close };
  } catch (err) {
    await close();
    throw err;
  }
}

async function openChromium(userDataDir: string): Promise<BrowserContext> {
  requireTool(CHROMIUM_PATH, "chromium");
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
    viewport: VIEWPORT,
    colorScheme: "light",
  });
}

interface BridgeProcess {
  url: string;
  stop(): Promise<void>;
}

/** `npm start --bridge` as a user runs it: the built start script, its printed token URL. */
async function startBridgeProcess(env: NodeJS.ProcessEnv): Promise<BridgeProcess> {
  const child = spawn(process.execPath, [START_SCRIPT, "--bridge"], {
    env,
    cwd: PROJECT_ROOT,
    stdio: ["ignore", "pipe", "pipe"],
  });
  let output = "";
  child.stderr.on("data", (d: Buffer) => (output += d.toString()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the bridge printed no address:\n${output}`)), 30_000);
    createInterface({ input: child.stdout }).on("line", (line) => {
      output += `${line}\n`;
      const found = /^Snapferry is running at (http:\/\/127\.0\.0\.1:\d+\/\?token=[\w-]+)$/.exec(line);
      if (found?.[1]) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.on("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`the bridge exited (${code ?? "signal"}):\n${output}`));
    });
  });
  return { url, stop: () => stopChild(child) };
}

/** SIGINT as Ctrl+C would: running jobs are cancelled and the catalog closed; SIGKILL after 10 s. */
async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, "exit");
  child.kill("SIGINT");
  const timer = setTimeout(() => child.kill("SIGKILL"), 10_000);
  await exited;
  clearTimeout(timer);
}
