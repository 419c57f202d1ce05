/**
 * End to end, as a user clicks through the app: add a VMware Workstation VM folder, create an
 * encrypted repository (its password remembered in a real keychain), back the VM up and watch the
 * bar reach 100%, find the restore point, restore the disk to qcow2 (qemu-img compare says it is
 * the same disk); then, on a fresh profile with an empty catalog and keychain, open the same
 * repository as "existing" and restore again, to raw, bit for bit.
 */
import assert from "node:assert/strict";
import { execFileSync, spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Page } from "playwright-core";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { startApp, type AppUnderTest } from "./support/app-under-test.js";
import { makeVmFolder, type VmFolder } from "./support/fixtures.js";
import { followRun, goTo, screenshot } from "./support/ui.js";

const PASSWORD = "e2e correct horse battery";

describe("a local VM, end to end in the app", () => {
  const tmp = makeTempDir("e2e-local");
  const repoPath = path.join(tmp.dir, "usb", "snapferry");
  let vm: VmFolder;
  let app: AppUnderTest;
  let page: Page;
  // Only what started is stopped: a failed start (no Chromium, say) must leave its own message.
  const stops: (() => Promise<void>)[] = [];

  before(async () => {
    requireTool("cmp", "diffutils");
    vm = makeVmFolder(tmp.dir, "web01");
    app = await startApp("local");
    stops.push(app.close);
    page = app.page;
  });

  after(async () => {
    for (const stop of stops) await stop();
    tmp.cleanup();
  });

  it("adds the VM folder in Settings and shows the VM in the inventory tree", async () => {
    await goTo(page, "Settings");
    await page.getByRole("button", { name: "Add local folder or image" }).click();
    const form = page.getByRole("form", { name: "Add a local VM folder or image" });
    await form.getByLabel("Path").fill(vm.dir);
    await form.getByRole("button", { name: "Add" }).click();
    await form.waitFor({ state: "detached" });
    await assertVisible(page.getByRole("listitem").filter({ hasText: vm.dir }));

    await goTo(page, "Inventory");
    const tree = page.getByRole("tree", { name: "Inventory" });
    await tree.getByRole("treeitem", { name: /^VM web01/ }).waitFor();
    assert.equal(await tree.getByRole("treeitem", { name: /^Source / }).count(), 1);
  });

  it("creates an encrypted repository, the password typed twice and kept in the keychain", async () => {
    await goTo(page, "Settings");
    assert.match(
      (await page.getByText(/^(available|not available)/).textContent()) ?? "",
      /^available$/,
      "the private gnome-keyring answers, so the app offers to remember passwords",
    );
    await goTo(page, "Repositories");
    await page.getByRole("button", { name: "Create repository" }).click();
    const form = page.getByRole("form", { name: "Create a repository" });
    await form.getByLabel("Folder").fill(repoPath);
    await form.getByLabel("Password", { exact: true }).fill(PASSWORD);
    await form.getByLabel("Confirm password").fill(`${PASSWORD}?`);
    await assertVisible(form.getByText("The two passwords differ."));
    assert.equal(await form.getByRole("button", { name: "Create repository" }).isDisabled(), true);
    await form.getByLabel("Confirm password").fill(PASSWORD);
    const remember = form.getByRole("checkbox", { name: /Remember the password in the system keychain/ });
    assert.equal(await remember.isChecked(), true);
    await form.getByRole("button", { name: "Create repository" }).click();
    await form.waitFor({ state: "detached" });

    const card = page.getByRole("article", { name: "snapferry" });
    await assertVisible(card.getByText("encrypted", { exact: true }));
    await assertVisible(card.getByText("password in keychain"));
    assert.ok(existsSync(path.join(repoPath, "config")), "the repository exists on disk");
    const config = readFileSync(path.join(repoPath, "config"));
    assert.ok(!config.includes(PASSWORD), "the repository never holds its password");
    assertNotUnder(app.dataDir, PASSWORD);
  });

  it("backs the VM up: pre-checks, the bar reaches 100%, the run succeeds", async () => {
    await goTo(page, "Inventory");
    await page
      .getByRole("tree", { name: "Inventory" })
      .getByRole("treeitem", { name: /^VM web01/ })
      .click();
    const details = page.getByRole("region", { name: "web01" });
    await assertVisible(details.getByText("No restore points of this VM yet"));
    await details.getByRole("button", { name: "Back up…" }).click();

    const dialog = page.getByRole("dialog", { name: "Back up web01" });
    await assertVisible(dialog.getByRole("list", { name: "Pre-checks" }));
    assert.equal(
      await dialog.getByLabel("Repository password").count(),
      0,
      "the keychain has the password: the dialog does not ask for it",
    );
    await dialog.getByRole("radio", { name: /^Full/ }).check();
    await dialog.getByRole("checkbox", { name: /Allow crash-consistent/ }).check();
    await dialog.getByRole("button", { name: "Start backup" }).click();

    const progress = dialog.getByRole("region", { name: /^Progress of / });
    await progress.getByRole("progressbar").first().waitFor();
    await screenshot(page, "backup-progress");
    const outcome = await followRun(progress);
    assert.equal(outcome.status, "succeeded", `bar went ${outcome.percents.join(" → ")}`);
    assert.equal(outcome.percents.at(-1), 100, `bar went ${outcome.percents.join(" → ")}`);
    assert.deepEqual(
      outcome.percents,
      [...outcome.percents].sort((a, b) => a - b),
      "the bar only moves forward",
    );
    await assertVisible(progress.getByText(/^100%/));
    await dialog.getByRole("button", { name: "Close" }).last().click();
    await dialog.waitFor({ state: "detached" });
  });

  it("lists the restore point in the VM's details", async () => {
    const table = page.getByRole("table", { name: "Restore points of web01" });
    await table.waitFor({ timeout: 15_000 });
    const rows = table.getByRole("row").filter({ has: page.getByRole("button", { name: "Restore…" }) });
    assert.equal(await rows.count(), 1);
    const cells = await rows.first().getByRole("cell").allTextContents();
    assert.ok(cells.includes("full"), `the point's type: ${cells.join(" | ")}`);
    assert.ok(cells.includes("crash-consistent"), cells.join(" | "));
  });

  it("restores the disk to qcow2 through the wizard; qemu-img compare finds it identical", async () => {
    const target = path.join(tmp.dir, "restored", "web01.qcow2");
    mkdirSync(path.dirname(target));
    await page
      .getByRole("table", { name: "Restore points of web01" })
      .getByRole("button", { name: "Restore…" })
      .click();
    const wizard = page.getByRole("dialog", { name: "Restore" });
    assert.equal(await wizard.locator('[aria-current="step"]').textContent(), "What");
    await wizard.getByRole("radio", { name: /^Disk 0: / }).check();
    await wizard.getByRole("button", { name: "Next" }).click();
    await wizard.getByRole("radio", { name: /^A disk file/ }).check();
    await wizard.getByLabel("Format").selectOption("qcow2");
    await wizard.getByLabel("Path").fill(target);
    await screenshot(page, "restore-wizard");
    await wizard.getByRole("button", { name: "Next" }).click();
    await assertVisible(wizard.getByText(new RegExp(`to ${escapeRegExp(target)}`)));
    await wizard.getByRole("button", { name: "Restore", exact: true }).click();
    const outcome = await followRun(wizard.getByRole("region", { name: /^Progress of / }));
    assert.equal(outcome.status, "succeeded", outcome.error);
    assert.equal(outcome.percents.at(-1), 100);
    await wizard.getByRole("button", { name: "Close" }).last().click();

    assert.match(execFileSync("qemu-img", ["info", target]).toString(), /file format: qcow2/);
    execFileSync("qemu-img", ["check", target]);
    execFileSync("qemu-img", ["compare", "-f", "vmdk", "-F", "qcow2", vm.vmdk, target]);
    execFileSync("qemu-img", ["compare", "-F", "qcow2", "-f", "raw", vm.raw, target]);
  });

  it("shows the runs in History and the repository's space on its card", async () => {
    await goTo(page, "History");
    const runs = page.getByRole("main", { name: "history" }).getByRole("table").first();
    await runs.getByRole("row").nth(2).waitFor();
    const statuses = await runs.locator(".status").allTextContents();
    assert.deepEqual(statuses, ["succeeded", "succeeded"], "the backup and the restore");
    await runs.getByRole("button", { name: "Back up web01 to snapferry" }).click();
    const log = page.getByRole("region", { name: "Run Back up web01 to snapferry" }).getByRole("list", {
      name: "Log",
    });
    await log.getByRole("listitem").first().waitFor();
    assert.match(
      (await log.textContent()) ?? "",
      /restore point \S+ committed: 1 disk\(s\), 48\.0 MiB read/,
      "a successful run's log says what it kept",
    );
    assert.ok(!((await log.textContent()) ?? "").includes(PASSWORD), "no password in the log");
    await screenshot(page, "history");

    await goTo(page, "Repositories");
    const card = page.getByRole("article", { name: "snapferry" });
    await assertVisible(card.getByText("Restore points"));
    assert.equal(await card.getByRole("definition").first().textContent(), "1");
    await screenshot(page, "repositories");
    assert.deepEqual(app.problems, []);
  });

  it("opens the repository as existing on a fresh profile and restores to raw, bit for bit", async () => {
    const fresh = await startApp("fresh");
    try {
      const p = fresh.page;
      await goTo(p, "Repositories");
      await assertVisible(p.getByText("No repository yet"));
      await p.getByRole("button", { name: "Open existing" }).click();
      const form = p.getByRole("form", { name: "Open an existing repository" });
      await form.getByLabel("Folder").fill(repoPath);
      await form.getByLabel("Password").fill(PASSWORD);
      await form.getByRole("checkbox", { name: /Remember the password/ }).uncheck();
      await form.getByRole("button", { name: "Open repository" }).click();
      await form.waitFor({ state: "detached" });
      const card = p.getByRole("article", { name: "snapferry" });
      await assertVisible(card.getByText("password asked"));

      const target = path.join(tmp.dir, "restored-fresh", "web01.raw");
      mkdirSync(path.dirname(target));
      await card.getByRole("button", { name: "Restore…" }).click();
      const wizard = p.getByRole("dialog", { name: "Restore" });
      await wizard.getByRole("radio", { name: /web01/ }).check();
      await wizard.getByRole("button", { name: "Next" }).click();
      await wizard.getByRole("radio", { name: /^The whole VM/ }).check();
      await wizard.getByRole("button", { name: "Next" }).click();
      await wizard.getByLabel("Format").selectOption("raw");
      await wizard.getByLabel("Path").fill(target);
      await wizard.getByRole("button", { name: "Next" }).click();
      await wizard.getByRole("button", { name: "Restore", exact: true }).click();
      const outcome = await followRun(wizard.getByRole("region", { name: /^Progress of / }));
      assert.equal(outcome.status, "succeeded", outcome.error);

      const restored = restoredFile(target);
      assert.equal(statSync(restored).size, vm.sizeBytes);
      const cmp = spawnSync("cmp", [vm.raw, restored], { encoding: "utf8" });
      assert.equal(cmp.status, 0, `cmp: ${cmp.stdout}${cmp.stderr}`);
      assertNotUnder(fresh.dataDir, PASSWORD);
      assert.deepEqual(fresh.problems, []);
    } finally {
      await fresh.close();
    }
  });
});

/** A whole-VM restore of a one-disk VM writes the file; of several, a folder of files. */
function restoredFile(target: string): string {
  if (statSync(target).isFile()) return target;
  const files = readdirSync(target);
  assert.equal(files.length, 1, `one disk restored into ${target}: ${files.join(", ")}`);
  return path.join(target, files[0] ?? "");
}

async function assertVisible(locator: import("playwright-core").Locator): Promise<void> {
  await locator.first().waitFor({ state: "visible", timeout: 15_000 });
}

/** No file under DIR (the catalog, its WAL, settings) contains SECRET. */
function assertNotUnder(dir: string, secret: string): void {
  for (const name of readdirSync(dir, { recursive: true, encoding: "utf8" })) {
    const file = path.join(dir, name);
    if (statSync(file).isFile())
      assert.ok(!readFileSync(file).includes(secret), `${file} holds the password`);
  }
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}
