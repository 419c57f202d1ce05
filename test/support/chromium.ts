/**
 * Debian's Chromium driven by playwright-core, the way the end-to-end tests run the renderer: headless,
 * a fresh profile per test, nothing phoning home. A machine without Chromium fails the test with
 * the package to install.
 */
import { chromium, type BrowserContext } from "playwright-core";
import { requireTool } from "./cli.js";

export const CHROMIUM_PATH = process.env.SNAPFERRY_CHROMIUM ?? "/usr/bin/chromium";

export const CHROMIUM_ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--no-first-run",
  "--disable-sync",
];

export function launchChromium(userDataDir: string): Promise<BrowserContext> {
  requireTool(CHROMIUM_PATH, "chromium");
  return chromium.launchPersistentContext(userDataDir, {
    executablePath: CHROMIUM_PATH,
    headless: true,
    args: CHROMIUM_ARGS,
  });
}
