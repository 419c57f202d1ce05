/**
 * End to end, as a user clicks through the app, a scheduled job: add a disk image as a source and
 * an unencrypted repository, create a job that runs every day at 22:00 through the plain schedule
 * form, run it now, see its run succeed in History filtered by the job, and see the Dashboard show
 * the job's last result and the repository's used space; export the job and import it back.
 * Screenshots of the Jobs screen and the Dashboard go to docs/screenshots/.
 */
import assert from "node:assert/strict";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { makeTempDir } from "../support/tmp.js";
import { startApp, type AppUnderTest } from "./support/app-under-test.js";
import { goTo, screenshot, addLocalSource, createPlainRepository } from "./support/ui.js";

const JOB = "Nightly app01";
const RUN_TIMEOUT_MS = 90_000;

describe("a scheduled job, end to end in the app", () => {
  const tmp = makeTempDir("e2e-jobs");
  const image = path.join(tmp.dir, "app01.raw");
  const repoPath = path.join(tmp.dir, "nightly-repo");
  let app: AppUnderTest;
  let page: Page;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    makeExt4Image(image, { sizeBytes: 32 * 1024 * 1024, seed: "e2e jobs", textBytes: 4e6, randomBytes: 2e6 });
    app = await startApp("jobs");
    stops.push(app.close);
    page = app.page;
  });

  after(async () => {
    for (const stop of stops) await stop();
    tmp.cleanup();
  });

  it("lands on the dashboard", async () => {
    await page.getByRole("main", { name: "dashboard" }).waitFor();
  });

  it("adds the disk image as a source and creates a repository", async () => {
    await addLocalSource(page, image);
    await createPlainRepository(page, repoPath);
  });

  it("creates a job that runs every day at 22:00", async () => {
    await goTo(page, "Jobs");
    await page.getByRole("button", { name: "New job" }).click();
    const editor = page.getByRole("form", { name: "New job" });
    await editor.getByLabel("Name").fill(JOB);
    await editor.getByLabel("Source").selectOption({ label: `app01.raw (${image})` });
    await editor
      .getByLabel("Repository", { exact: true })
      .selectOption({ label: `nightly-repo (${repoPath})` });
    await editor.getByRole("radio", { name: /^Every day/ }).check();
    await editor.getByLabel("Time of day").fill("22:00");
    await visible(editor.getByText("Runs every day at 22:00."));
    await editor.getByRole("button", { name: "Preview" }).click();
    await visible(editor.getByRole("region", { name: "Kept" }));
    await editor.getByRole("button", { name: "Save job" }).click();
    await editor.waitFor({ state: "detached", timeout: 15_000 });

    const row = jobRow(page);
    await visible(row);
    assert.match((await row.getByRole("cell").first().textContent()) ?? "", /22:00/, "the schedule in words");
    await visible(row.getByText("never run"));
  });

  it("runs the job now; its last run turns succeeded", async () => {
    const row = jobRow(page);
    await row.getByRole("button", { name: `Run now ${JOB}` }).click();
    await row
      .locator(".status-succeeded, .status-failed, .status-cancelled")
      .waitFor({ timeout: RUN_TIMEOUT_MS });
    assert.equal(await row.locator(".status").textContent(), "succeeded");
    await screenshot(page, "jobs");
  });

  it("shows the run in History when filtered by the job", async () => {
    await goTo(page, "History");
    const history = page.getByRole("main", { name: "history" });
    await history.getByLabel("Job").selectOption({ label: JOB });
    await history.getByLabel("Status").selectOption("succeeded");
    const table = history.getByRole("table", { name: "Runs" });
    await table.getByRole("row").nth(1).waitFor();
    const statuses = await table.locator(".status").allTextContents();
    assert.ok(statuses.length >= 1, "the job's run is listed");
    assert.deepEqual(new Set(statuses), new Set(["succeeded"]));

    await history.getByLabel("Status").selectOption("failed");
    await history.getByText("No run matches these filters.").waitFor();
  });

  it("shows the job's last result and the repository's used space on the Dashboard", async () => {
    await goTo(page, "Dashboard");
    const results = page.getByRole("region", { name: "Last results" });
    const row = results.getByRole("row", { name: JOB });
    await visible(row.getByText("succeeded"));
    const space = page.getByRole("region", { name: "Repository space" }).getByRole("listitem", {
      name: "nightly-repo",
    });
    await visible(space);
    const used = (await space.getByRole("definition").first().textContent()) ?? "";
    assert.match(used, /^[\d.]+ (KiB|MiB|GiB)$/, `used space: ${used}`);
    await screenshot(page, "dashboard");
  });

  it("exports the job as JSON and imports it back as a second job", async () => {
    await goTo(page, "Jobs");
    await jobRow(page)
      .getByRole("button", { name: `Export ${JOB}` })
      .click();
    const exported = page.getByRole("textbox", { name: "Exported job JSON" });
    await visible(exported);
    const json = await exported.inputValue();
    const parsed = JSON.parse(json) as { format?: string; name?: string };
    assert.equal(parsed.format, "snapferry-job");
    assert.equal(parsed.name, JOB);

    await page.getByRole("button", { name: "Import…" }).click();
    const form = page.getByRole("form", { name: "Import a job" });
    await form.getByLabel("Job JSON").fill(json);
    await form.getByLabel("Name").fill(`${JOB} copy`);
    await form.getByRole("button", { name: "Import" }).click();
    await submitted(form);
    const jobs = page.getByRole("main", { name: "jobs" }).getByRole("table", { name: "Jobs" });
    await jobs.getByRole("row").nth(2).waitFor();
    assert.equal(await jobs.getByRole("row").count(), 3, "the header and two jobs");
    await visible(jobs.getByRole("row", { name: `${JOB} copy` }).getByText(/22:00/));
    assert.deepEqual(app.problems, []);
  });
});

function jobRow(page: Page): Locator {
  return page.getByRole("main", { name: "jobs" }).getByRole("row", { name: JOB });
}

/** Waits for a form to close on success; fails with the error it shows otherwise. */
async function submitted(form: Locator): Promise<void> {
  const error = form.getByRole("alert");
  await Promise.race([
    form.waitFor({ state: "detached", timeout: 15_000 }),
    error.waitFor({ timeout: 15_000 }),
  ]);
  if ((await form.count()) > 0) assert.fail(`the form refused: ${(await error.textContent()) ?? ""}`);
}

async function visible(locator: Locator): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout: 15_000 });
}
