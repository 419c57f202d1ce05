/**
 * The app's API with a vSphere source, against vcsim behind the CBT harness: the certificate shown
 * before it is trusted (its thumbprint in the error's details), accepted, the login remembered in the
 * keychain (in memory here), the inventory as plain data, a missing password asked for, and a
 * backup of a VM through the app restored bit for bit.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { openCatalog } from "../../main/catalog/catalog.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { createAppApi, type AppApi } from "../../main/services/app-api.js";
import {
  MemoryCredentialStore,
  vsphereCredentialService,
} from "../../main/sources/vsphere/credential-store.js";
import { knownThumbprint } from "../../main/sources/vsphere/known-servers.js";
import { EventLog, failure, ok } from "../support/app-events.js";
import { TEST_PASSWORD, requireTool } from "../support/cli.js";
import {
  MiB,
  findVmRef,
  growDisk,
  liveFlat,
  startBackupSite,
  writeExt4,
  type BackupSite,
} from "./backup-fixtures.js";

const VM = "DC0_H0_VM0";
const SIZE = 32 * MiB;

function hasDate(value: unknown): boolean {
  if (value instanceof Date) return true;
  if (Array.isArray(value)) return value.some(hasDate);
  if (value !== null && typeof value === "object") return Object.values(value).some(hasDate);
  return false;
}

describe("the app's API with vSphere (vcsim)", () => {
  let site: BackupSite;
  let catalog: Catalog;
  let api: AppApi;
  const log = new EventLog();
  const credentials = new MemoryCredentialStore();
  let server = "";
  let sourceId = "";
  let knownServersFile = "";

  before(async () => {
    requireTool("cmp", "diffutils");
    site = await startBackupSite();
    server = `${site.proxy.host}:${site.proxy.port}`;
    knownServersFile = path.join(site.dir, "known-servers.json");
    catalog = openCatalog(path.join(site.dir, "catalog.sqlite"));
    api = createAppApi({ catalog, credentials, events: log.push, door: "bridge", knownServersFile });
  });

  after(async () => {
    await api.shutdown();
    catalog.close();
    await site.stop();
  });

  it("shows an unknown certificate's thumbprint and connects once it is accepted", async () => {
    const probed = ok(await api.call("sources.probeCertificate", { server }));
    assert.equal(probed.thumbprint, site.proxy.thumbprint);
    assert.equal(probed.known, null);
    assert.match(probed.validTo, /^\d{4}-\d\d-\d\dT/);

    const login = { server, user: "backup", password: "pass", rememberPassword: true };
    const unknown = failure(await api.call("sources.addVsphere", login));
    assert.equal(unknown.code, "tls-unknown-certificate");
    assert.equal(unknown.details?.thumbprint, site.proxy.thumbprint);
    assert.equal(unknown.details?.server, server);
    assert.equal(
      ok(await api.call("sources.list", {})).length,
      0,
      "nothing is added before the user accepts",
    );

    const source = ok(
      await api.call("sources.addVsphere", { ...login, acceptThumbprint: site.proxy.thumbprint }),
    );
    sourceId = source.id;
    assert.deepEqual([source.kind, source.location, source.user], ["vsphere", server, "backup"]);
    assert.equal(await knownThumbprint(server, knownServersFile), site.proxy.thumbprint);
    assert.equal(await credentials.get(vsphereCredentialService(server), "backup"), "pass");
    assert.equal(ok(await api.call("sources.probeCertificate", { server })).known, site.proxy.thumbprint);
  });

  it("reads the inventory with the saved password, as plain data", async () => {
    const inventory = ok(await api.call("sources.inventory", { sourceId }));
    assert.equal(inventory.kind, "vsphere");
    if (inventory.kind !== "vsphere") return;
    assert.ok(inventory.vms.some((vm) => vm.name === VM && vm.path === `/DC0/vm/${VM}`));
    assert.equal(hasDate(inventory), false, "Dates cross the door as ISO strings");
  });

  it("asks for the password when the keychain has none", async () => {
    await credentials.delete(vsphereCredentialService(server), "backup");
    const missing = failure(await api.call("sources.inventory", { sourceId }));
    assert.equal(missing.code, "vsphere-login");
    assert.deepEqual(missing.details, { sourceId, server, user: "backup", field: "password" });
    const typed = ok(await api.call("sources.inventory", { sourceId, password: "pass" }));
    assert.equal(typed.kind, "vsphere");
  });

  it("backs up a VM through the app and restores it to a file, a new VM and in place, bit for bit", async () => {
    const vm = await findVmRef(site.client, `DC0/vm/${VM}`);
    await growDisk(site.client, vm, SIZE);
    const image = writeExt4(site, liveFlat(site, VM), SIZE, "app-vsphere");
    const repo = ok(
      await api.call("repositories.open", {
        path: site.repo,
        password: TEST_PASSWORD,
        rememberPassword: true,
      }),
    );
    const input = {
      sourceId,
      vm: `/DC0/vm/${VM}`, // as the inventory gives it
      repositoryId: repo.repositoryId,
      type: "full",
      allowCrashConsistent: true,
    } as const;
    const asked = failure(await api.call("jobs.backup", input));
    assert.equal(asked.code, "vsphere-login", "the vSphere password is asked for before the job starts");
    assert.equal(asked.details?.field, "vspherePassword");

    const { runId } = ok(await api.call("jobs.backup", { ...input, vspherePassword: "pass" }));
    const run = await log.ended(runId);
    assert.equal(run.status, "succeeded", run.error ?? "");
    assert.ok(run.restorePointId);
    const notes = ok(await api.call("runs.logs", { runId })).map((l) => l.message);
    assert.ok(
      notes.some((n) => /removed the backup snapshot snapferry-/.test(n)),
      notes.join("\n"),
    );
    const points = ok(
      await api.call("restorePoints.list", { repositoryId: repo.repositoryId, refresh: false }),
    );
    const point = points.find((p) => p.id === run.restorePointId);
    assert.equal(point?.sourceKind, "vsphere");
    assert.equal(point?.vmName, VM);

    const target = path.join(site.dir, "restored.raw");
    const restore = ok(
      await api.call("jobs.restore", {
        repositoryId: repo.repositoryId,
        restorePointId: run.restorePointId,
        target: { kind: "file", path: target, format: "raw" },
      }),
    );
    assert.equal((await log.ended(restore.runId)).status, "succeeded");
    const expected = path.join(site.dir, "expected.raw");
    writeFileSync(expected, image);
    execFileSync("cmp", [expected, target]);

    const asNew = ok(
      await api.call("jobs.restore", {
        repositoryId: repo.repositoryId,
        restorePointId: run.restorePointId,
        target: {
          kind: "vsphere-new",
          sourceId,
          placement: "DC0/DC0_C0",
          datastore: "LocalDS_0",
          name: "restored-by-app",
          powerOn: false,
        },
        vspherePassword: "pass",
      }),
    );
    const created = await log.ended(asNew.runId);
    assert.equal(created.status, "succeeded", created.error ?? "");
    assert.match(created.title, /to new VM restored-by-app on /);
    const flat = path.join(site.vcsim.datastoreDir(), "restored-by-app", "restored-by-app-flat.vmdk");
    execFileSync("cmp", [expected, flat]);

    // The original VM's disk is damaged; the user confirms, and it gets its disk back in place.
    writeFileSync(liveFlat(site, VM), Buffer.alloc(SIZE));
    const inPlace = ok(
      await api.call("jobs.restore", {
        repositoryId: repo.repositoryId,
        restorePointId: run.restorePointId,
        target: { kind: "vsphere-original", confirmOverwrite: true },
        vspherePassword: "pass",
      }),
    );
    const replaced = await log.ended(inPlace.runId);
    assert.equal(replaced.status, "succeeded", replaced.error ?? "");
    const logs = ok(await api.call("runs.logs", { runId: inPlace.runId })).map((l) => l.message);
    assert.ok(
      logs.some((m) => /^replacing 1 disk\(s\) of VM DC0_H0_VM0 on /.test(m)),
      logs.join("\n"),
    );
    const vmFolder = path.join(site.vcsim.datastoreDir(), VM);
    const restoredFlat = readdirSync(vmFolder).find((f) => /^disk1-snapferry-[0-9a-f]+-flat\.vmdk$/.test(f));
    assert.ok(restoredFlat, `a restored disk in ${readdirSync(vmFolder).join(", ")}`);
    execFileSync("cmp", [expected, path.join(vmFolder, restoredFlat)]);
  });
});
