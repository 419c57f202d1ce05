/**
 * End to end with vSphere (vcsim): the user adds the server, is shown its certificate's thumbprint
 * (the one the server really presents), trusts it, and sees the inventory tree, where a VM given
 * three snapshots carries the chain-depth warning with its reason and its neighbour does not.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import type { Locator, Page } from "playwright-core";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startApp, type AppUnderTest } from "./support/app-under-test.js";
import { serverThumbprint, snapshotChain } from "./support/fixtures.js";
import { goTo, screenshot } from "./support/ui.js";

const DEEP_VM = "DC0_H0_VM0";
const PLAIN_VM = "DC0_H0_VM1";

describe("a vSphere server, end to end in the app", () => {
  let vcsim: Vcsim;
  let app: AppUnderTest;
  // Only what started is stopped: a failed start (no Go, no Chromium) must leave its own message.
  const stops: (() => Promise<void>)[] = [];
  let page: Page;
  let server = "";
  let thumbprint = "";

  before(async () => {
    vcsim = await startVcsim();
    stops.push(() => vcsim.stop());
    server = `${vcsim.host}:${vcsim.port}`;
    await snapshotChain(vcsim.url, `DC0/vm/${DEEP_VM}`, 3);
    thumbprint = await serverThumbprint(vcsim.host, vcsim.port);
    app = await startApp("vsphere");
    stops.unshift(app.close);
    page = app.page;
  });

  after(async () => {
    for (const stop of stops) await stop();
  });

  it("shows the unknown certificate's thumbprint, and connects once the user trusts it", async () => {
    await goTo(page, "Settings");
    await page.getByRole("button", { name: "Add vSphere server" }).click();
    const form = page.getByRole("form", { name: "Add a vSphere server" });
    await form.getByLabel("Server").fill(server);
    await form.getByLabel("User").fill("backup@vsphere.local");
    await form.getByLabel("Password", { exact: true }).fill("vcsim accepts any password");
    await form.getByRole("button", { name: "Connect" }).click();

    const prompt = form.getByRole("region", { name: `Do you trust ${server}?` });
    await prompt.waitFor({ timeout: 30_000 });
    const shown = (await prompt.getByTestId("thumbprint").textContent()) ?? "";
    assert.equal(shown.toUpperCase(), thumbprint.toUpperCase(), "the thumbprint the server presents");
    assert.match(shown, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/i, "SHA-256, colon-separated");
    await screenshot(page, "certificate-prompt");
    assert.equal(readKnownServers(app), "", "nothing is trusted before the user says so");

    await prompt.getByRole("button", { name: "Trust this certificate and connect" }).click();
    await form.waitFor({ state: "detached", timeout: 30_000 });
    const listed = page.getByRole("listitem").filter({ hasText: server });
    await listed.waitFor();
    assert.match((await listed.textContent()) ?? "", /vSphere/);
    assert.ok(
      readKnownServers(app).toUpperCase().includes(thumbprint.toUpperCase()),
      "the accepted thumbprint is pinned for next time",
    );
  });

  it("shows the inventory tree with the chain-depth warning and its reason on the VM with 3 snapshots", async () => {
    await goTo(page, "Inventory");
    const tree = page.getByRole("tree", { name: "Inventory" });
    await tree.getByRole("treeitem", { name: /^Source / }).waitFor({ timeout: 30_000 });
    await page.getByRole("searchbox", { name: "Search VMs" }).fill("DC0_H0_VM");
    const deep = vmRow(tree, DEEP_VM);
    await deep.waitFor({ timeout: 30_000 });
    for (const level of ["Datacenter DC0", "Host DC0_H0"]) {
      assert.equal(await tree.getByRole("treeitem", { name: new RegExp(`^${level}\\b`) }).count(), 1, level);
    }

    const badge = deep.getByTestId("chain-badge");
    assert.match((await badge.textContent()) ?? "", /⚠\s*3 deep/);
    assert.match((await badge.getAttribute("title")) ?? "", /3/, "the reason is the tooltip");
    const reason = (await badge.getAttribute("title")) ?? "";
    assert.ok(reason.length > 20, `a reason in words: ${reason}`);
    const describedBy = (await badge.getAttribute("aria-describedby")) ?? "";
    const described = await page.locator(`[id="${describedBy}"]`).textContent();
    assert.equal(described, reason, "assistive technology hears the same reason");

    const plainBadge = vmRow(tree, PLAIN_VM).getByTestId("chain-badge");
    assert.doesNotMatch((await plainBadge.textContent()) ?? "", /⚠/);

    // Every VM of the site, with the folders, datacenter, clusters and hosts above them.
    await page.getByRole("searchbox", { name: "Search VMs" }).fill("VM");
    await deep.click();
    const details = page.getByRole("region", { name: DEEP_VM });
    await details.getByText(reason).first().waitFor();
    for (const name of ["e2e-1", "e2e-2", "e2e-3"]) await details.getByText(name).first().waitFor();
    await screenshot(page, "inventory");
    assert.deepEqual(app.problems, []);
  });
});

function vmRow(tree: Locator, name: string): Locator {
  return tree.getByRole("treeitem", { name: new RegExp(`^VM ${name}\\b`) });
}

function readKnownServers(app: AppUnderTest): string {
  try {
    return readFileSync(path.join(app.dir, "config", "known-servers.json"), "utf8");
  } catch {
    return "";
  }
}
