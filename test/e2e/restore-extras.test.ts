/**
 * End to end, as a user clicks through the app, the restores beyond whole disks: back up a disk
 * image with an MBR and an ext4 partition, then in the restore wizard browse its files and restore
 * one (its sha256 matches the original); "Run from backup" serves it over NBD (nbdinfo reads the
 * URL the page shows and finds the disk's size), then stop it; "Verify" marks the restore point
 * verified. Screenshots of the file browser and the run-from-backup panel go to docs/screenshots/.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { spawnSync } from "node:child_process";
import { mkdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { requireTool } from "../support/cli.js";
import { assembleDisk, ext4Partition, MiB, writeSource } from "../support/flr-fixtures.js";
import { makeTempDir } from "../support/tmp.js";
import { startApp, type AppUnderTest } from "./support/app-under-test.js";
import { followRun, goTo, screenshot, addLocalSource, createPlainRepository } from "./support/ui.js";

const IMAGE_NAME = "fs01.raw";
const DISK_SIZE = 72 * MiB;

function sha256(data: Buffer): string {
  return createHash("sha256").update(data).digest("hex");
}

/** A disk with an MBR and one ext4 partition at 1 MiB holding a few known files. */
function makePartitionedDisk(root: string): { image: string; notes: Buffer } {
  const src = path.join(root, "fs-src");
  const mtime = new Date("2025-06-01T12:00:00Z");
  const notes = Buffer.from(Array.from({ length: 40_000 }, (_, i) => `line ${i} of the notes\n`).join(""));
  writeSource(path.join(src, "home", "alice", "notes.txt"), notes, mtime);
  writeSource(path.join(src, "etc", "hostname"), "fs01\n", mtime);
  writeSource(path.join(src, "etc", "ssh", "sshd_config"), "PermitRootLogin no\n", mtime);
  const part = path.join(root, "part1.ext4");
  ext4Partition(part, 64 * MiB, src);
  const image = path.join(root, "vm", IMAGE_NAME);
  mkdirSync(path.dirname(image), { recursive: true });
  assembleDisk(image, DISK_SIZE, "dos", [{ file: part, start: MiB, size: 64 * MiB, type: "83" }]);
  return { image, notes };
}

describe("single files, run from backup and verify, end to end in the app", () => {
  const tmp = makeTempDir("e2e-extras");
  const repoPath = path.join(tmp.dir, "repo");
  let disk: { image: string; notes: Buffer };
  let app: AppUnderTest;
  let page: Page;
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    requireTool("nbdinfo", "libnbd-bin");
    requireTool("7zz", "7zip");
    disk = makePartitionedDisk(tmp.dir);
    app = await startApp("extras");
    stops.push(app.close);
    page = app.page;
  });

  after(async () => {
    for (const stop of stops) await stop();
    tmp.cleanup();
  });

  it("adds the disk image, creates a repository and backs the image up", async () => {
    await addLocalSource(page, disk.image);
    await createPlainRepository(page, repoPath);

    await goTo(page, "Inventory");
    await page
      .getByRole("tree", { name: "Inventory" })
      .getByRole("treeitem", { name: new RegExp(`^VM ${IMAGE_NAME}`) })
      .click();
    const details = page.getByRole("region", { name: IMAGE_NAME });
    await details.getByRole("button", { name: "Back up…" }).click();
    const dialog = page.getByRole("dialog", { name: `Back up ${IMAGE_NAME}` });
    await dialog.getByRole("radio", { name: /^Full/ }).check();
    await dialog.getByRole("checkbox", { name: /Allow crash-consistent/ }).check();
    await dialog.getByRole("button", { name: "Start backup" }).click();
    const outcome = await followRun(dialog.getByRole("region", { name: /^Progress of / }));
    assert.equal(outcome.status, "succeeded", outcome.error);
    await dialog.getByRole("button", { name: "Close" }).last().click();
    await dialog.waitFor({ state: "detached" });
  });

  it("browses the backup's files in the wizard and restores one; its sha256 matches", async () => {
    const target = path.join(tmp.dir, "restored-files");
    mkdirSync(target);
    const wizard = await openWizard(page);
    await wizard.getByRole("radio", { name: /^Files: single files from disk 0/ }).check();
    await wizard.getByRole("button", { name: "Next" }).click();

    const browser = wizard.getByRole("region", { name: "File browser" });
    const tree = browser.getByRole("tree", { name: "Folders" });
    const partition = tree.getByRole("treeitem", { name: /^1: Linux/ });
    await partition.waitFor({ timeout: 30_000 });
    await browser.getByRole("button", { name: /^Expand 1: Linux/ }).click();
    const home = tree.getByRole("treeitem", { name: "home", exact: true });
    await home.getByRole("button", { name: "Expand home" }).click();
    await tree
      .getByRole("treeitem", { name: "alice", exact: true })
      .getByRole("button", { name: "alice", exact: true })
      .click();
    const files = browser.getByRole("table", { name: "Files in 1:/home/alice" });
    await files.getByRole("checkbox", { name: "Select notes.txt" }).check();
    await browser.getByLabel("Restore to folder").fill(target);
    await screenshot(page, "file-browser");
    await browser.getByRole("button", { name: "Restore", exact: true }).click();
    const outcome = await followRun(browser.getByRole("region", { name: /^Progress of / }));
    assert.equal(outcome.status, "succeeded", outcome.error);

    const restored = path.join(target, "notes.txt");
    assert.equal(sha256(readFileSync(restored)), sha256(disk.notes), `${restored} is the original file`);
    await wizard.getByRole("button", { name: "Close" }).last().click();
    await wizard.waitFor({ state: "detached" });
  });

  it("runs the restore point from backup: nbdinfo reads the URL the page shows, then it stops", async () => {
    const wizard = await openWizard(page, false);
    await wizard.getByRole("button", { name: "Run from backup…" }).click();
    const panel = wizard.getByRole("region", { name: "Run from backup" });
    await panel.getByRole("button", { name: "Start serving" }).click();
    const urlField = panel.getByRole("textbox", { name: "NBD URL" });
    await urlField.waitFor({ timeout: 30_000 });
    const url = await urlField.inputValue();
    assert.match(url, /^nbd:\/\/127\.0\.0\.1:\d+\/\S+$/);
    assert.match(
      (await panel.getByRole("region", { name: "QEMU instructions" }).textContent()) ?? "",
      new RegExp(`qemu-system-x86_64 -m 2048 -drive file=${escapeRegExp(url)},format=raw`),
    );

    const info = spawnSync("nbdinfo", ["--size", url], { encoding: "utf8", timeout: 30_000 });
    assert.equal(info.status, 0, `nbdinfo: ${info.stderr}`);
    assert.equal(Number(info.stdout.trim()), statSync(disk.image).size);
    await screenshot(page, "run-from-backup");

    await panel.getByRole("button", { name: "Stop", exact: true }).click();
    await panel.getByRole("button", { name: "Start serving" }).waitFor();
    const after = spawnSync("nbdinfo", ["--size", url], { encoding: "utf8", timeout: 30_000 });
    assert.notEqual(after.status, 0, "nothing serves the URL once stopped");
    await wizard.getByRole("button", { name: "Close" }).last().click();
    await wizard.waitFor({ state: "detached" });
  });

  it("verifies the restore point from its row and shows it verified", async () => {
    const table = page.getByRole("table", { name: `Restore points of ${IMAGE_NAME}` });
    const row = table.getByRole("row").filter({ has: page.getByRole("button", { name: "Restore…" }) });
    await row.getByRole("button", { name: /^Verify restore point of/ }).click();
    await row.getByText(/✓ verified/).waitFor({ timeout: 90_000 });
    assert.equal(await row.getByRole("status", { name: "Verification failed" }).count(), 0);
    assert.deepEqual(app.problems, []);
  });
});

/** The wizard on the image's one restore point, at the "What" step (or the first step). */
async function openWizard(page: Page, toWhat = true): Promise<Locator> {
  await goTo(page, "Inventory");
  await page
    .getByRole("tree", { name: "Inventory" })
    .getByRole("treeitem", { name: new RegExp(`^VM ${IMAGE_NAME}`) })
    .click();
  const table = page.getByRole("table", { name: `Restore points of ${IMAGE_NAME}` });
  await table.waitFor({ timeout: 15_000 });
  await table.getByRole("button", { name: "Restore…" }).click();
  const wizard = page.getByRole("dialog", { name: "Restore" });
  if (!toWhat) await wizard.getByRole("button", { name: "Back" }).click();
  return wizard;
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
