/**
 * The few moves every spec makes, by role and label as a screen-reader user would find them:
 * switching screens, following a run's progress to its end, saving a screenshot for the README.
 */
import { mkdirSync } from "node:fs";
import path from "node:path";
import type { Locator, Page } from "playwright-core";
import { PROJECT_ROOT } from "./app-under-test.js";

export const SCREENSHOTS_DIR = path.join(PROJECT_ROOT, "docs", "screenshots");

export type ScreenName = "Dashboard" | "Jobs" | "Inventory" | "Repositories" | "History" | "Settings";

export async function goTo(page: Page, screen: ScreenName): Promise<void> {
  await page.getByRole("navigation", { name: "Main" }).getByRole("button", { name: screen }).click();
  await page.getByRole("main", { name: screen.toLowerCase() }).waitFor();
}

/** Overwrites docs/screenshots/NAME.png: the README shows these. */
export async function screenshot(page: Page, name: string): Promise<void> {
  mkdirSync(SCREENSHOTS_DIR, { recursive: true });
  await page.screenshot({ path: path.join(SCREENSHOTS_DIR, `${name}.png`) });
}

export interface RunOutcome {
  status: string;
  /** What the run's error line said, when it failed. */
  error: string;
  /** Every distinct value the overall bar showed, in order. */
  percents: number[];
}

/**
 * Follows a progress region (ProgressView) until its run leaves "running": records what the
 * overall bar showed along the way, and the final status.
 */
export async function followRun(region: Locator, timeoutMs = 90_000): Promise<RunOutcome> {
  const bar = region.getByRole("progressbar", { name: /: overall$/ });
  const status = region.locator(".status");
  const percents: number[] = [];
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    if ((await bar.count()) > 0) {
      const now = Number(await bar.getAttribute("aria-valuenow"));
      if (percents.at(-1) !== now) percents.push(now);
    }
    const text = (await status.textContent()) ?? "";
    if (text !== "" && text !== "running") {
      // The last progress event and the run's end can arrive in either order: read the bar once more.
      if ((await bar.count()) > 0) {
        const last = Number(await bar.getAttribute("aria-valuenow"));
        if (percents.at(-1) !== last) percents.push(last);
      }
      const error = region.locator(".run-error");
      return {
        status: text,
        percents,
        error: (await error.count()) > 0 ? ((await error.textContent()) ?? "") : "",
      };
    }
    if (Date.now() > deadline) throw new Error(`the run did not end in ${timeoutMs} ms (bar: ${percents})`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Settings → "Add local folder or image": a VM folder or a disk image becomes a source. */
export async function addLocalSource(page: Page, where: string): Promise<void> {
  await goTo(page, "Settings");
  await page.getByRole("button", { name: "Add local folder or image" }).click();
  const form = page.getByRole("form", { name: "Add a local VM folder or image" });
  await form.getByLabel("Path").fill(where);
  await form.getByRole("button", { name: "Add" }).click();
  await form.waitFor({ state: "detached" });
}

/** Repositories → "Create repository", unencrypted (tests of what is not about passwords). */
export async function createPlainRepository(page: Page, folder: string): Promise<void> {
  await goTo(page, "Repositories");
  await page.getByRole("button", { name: "Create repository" }).click();
  const create = page.getByRole("form", { name: "Create a repository" });
  await create.getByLabel("Folder").fill(folder);
  await create.getByRole("checkbox", { name: /^Encrypt with AES-256-GCM/ }).uncheck();
  await create.getByRole("button", { name: "Create repository" }).click();
  await create.waitFor({ state: "detached" });
}
