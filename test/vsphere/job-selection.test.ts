/**
 * A job that follows a vSphere folder or tag: the VMs are read from the inventory at each run, so a VM
 * added to the folder is backed up from the next run on without editing the job. Against vcsim.
 */
import assert from "node:assert/strict";
import https from "node:https";
import { after, before, describe, test } from "node:test";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import type { JobSettings } from "../../main/jobs/job-settings.js";
import type { AppContext } from "../../main/services/app-context.js";
import { jobDeps } from "../../main/services/job-deps.js";
import { findJob, saveJob, startJobRun } from "../../main/services/job-service.js";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { parseMoRef } from "../../main/sources/vsphere/moref.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { requireReturnval } from "../../main/sources/vsphere/vim-client.js";
import { findVmRef, startBackupSite, type BackupSite } from "./backup-fixtures.js";
import { vsphereJobSite } from "./job-site.js";

describe("a job that follows a vSphere folder (vcsim)", () => {
  let site: BackupSite;
  let catalog: Catalog;
  let ctx: AppContext;
  let settings: JobSettings;
  let folder: MoRef;

  const cloneInto = async (name: string): Promise<void> => {
    const vm = await findVmRef(site.client, "DC0/vm/DC0_H0_VM0");
    const answer = await site.client.invoke("CloneVM_Task", {
      _this: vm,
      folder,
      name,
      spec: { fields: { location: { fields: {} }, template: false, powerOn: false } },
    });
    await waitForTask(
      site.client,
      parseMoRef(requireReturnval(answer, site.client.server), site.client.server),
      {
        timeoutMs: 30_000,
      },
    );
  };

  before(async () => {
    site = await startBackupSite();
    const created = await site.client.invoke("CreateFolder", {
      _this: await findVmRef(site.client, "DC0/vm"),
      name: "Production",
    });
    folder = parseMoRef(requireReturnval(created, site.client.server), site.client.server);
    await cloneInto("web01");
    const jobSite = await vsphereJobSite(site);
    ({ catalog, ctx } = jobSite);
    settings = {
      version: 1,
      sourceId: jobSite.sourceId,
      selection: { kind: "folder", folder: "DC0/vm/Production" },
      repositoryId: jobSite.repositoryId,
      schedule: { kind: "daily", time: "22:00" },
      copies: [],
      concurrency: 1,
      retries: { attempts: 0, backoffSeconds: 1 },
      allowCrashConsistent: true,
    };
    saveJob(catalog, "production", settings);
  });

  after(async () => {
    catalog.close();
    await site.stop();
  });

  test("reads the folder's VMs at each run, new ones included, and backs them all up", async () => {
    const deps = jobDeps(ctx, settings);
    assert.deepEqual(await deps.resolveVms(settings), [{ key: "DC0/vm/Production/web01", name: "web01" }]);
    await cloneInto("db01");
    assert.deepEqual(
      (await deps.resolveVms(settings)).map((v) => v.key).sort(),
      ["DC0/vm/Production/db01", "DC0/vm/Production/web01"],
      "a VM added to the folder is part of the next run",
    );
    const started = startJobRun(ctx, findJob(catalog, "production"), { reason: "test" });
    const result = await started.result;
    await ctx.runs.idle();
    assert.deepEqual(
      result.vms.map((v) => [v.vm.name, v.state === "failed" ? v.messages.join("; ") : "ok"]).sort(),
      [
        ["db01", "ok"],
        ["web01", "ok"],
      ],
    );
    assert.ok(result.vms.every((v) => v.restorePointId !== null));
  });

  test("follows a tag: the VMs carrying it, read through vCenter's REST API", async () => {
    const vm1 = await findVmRef(site.client, "DC0/vm/DC0_H0_VM1");
    const rest = await restSession(site.vcsim.url);
    const category = await rest("POST", "/tagging/category", {
      create_spec: {
        name: "backup",
        description: "",
        cardinality: "MULTIPLE",
        associable_types: ["VirtualMachine"],
      },
    });
    const tag = await rest("POST", "/tagging/tag", {
      create_spec: { name: "nightly", description: "", category_id: category },
    });
    await rest("POST", `/tagging/tag-association/id:${String(tag)}?~action=attach`, {
      object_id: { id: vm1.value, type: "VirtualMachine" },
    });
    const byTag = { ...settings, selection: { kind: "tag" as const, tag: "nightly" } };
    assert.deepEqual(await jobDeps(ctx, byTag).resolveVms(byTag), [
      { key: "DC0/vm/DC0_H0_VM1", name: "DC0_H0_VM1" },
    ]);
    const unknown = { ...settings, selection: { kind: "tag" as const, tag: "weekly" } };
    await assert.rejects(jobDeps(ctx, unknown).resolveVms(unknown), /no tag named "weekly" on /);
  });

  test("names an empty or missing folder", async () => {
    const empty = { ...settings, selection: { kind: "folder" as const, folder: "DC0/vm/Nothing" } };
    await assert.rejects(
      jobDeps(ctx, empty).resolveVms(empty),
      /the folder DC0\/vm\/Nothing on vcsim holds no VM/,
    );
  });
});

/**
 * A REST session on the simulator, to tag VMs as an admin would in the vSphere client (test set-up
 * only: the simulator's certificate is not checked here; the product's own requests are pinned).
 */
async function restSession(
  sdkUrl: string,
): Promise<(method: string, path: string, body?: unknown) => Promise<unknown>> {
  const base = new URL(sdkUrl);
  const send = (
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: unknown,
  ): Promise<unknown> =>
    new Promise((resolve, reject) => {
      const payload = body === undefined ? undefined : JSON.stringify(body);
      const req = https.request(
        {
          host: base.hostname,
          port: base.port,
          method,
          path: `/rest/com/vmware/cis${path}`,
          rejectUnauthorized: false,
          headers: { ...headers, ...(payload ? { "Content-Type": "application/json" } : {}) },
        },
        (res) => {
          let text = "";
          res.on("data", (c: Buffer) => (text += c.toString()));
          res.on("end", () => {
            if ((res.statusCode ?? 0) >= 300)
              reject(new Error(`${method} ${path}: HTTP ${res.statusCode} ${text}`));
            else resolve(text ? (JSON.parse(text) as { value?: unknown }).value : undefined);
          });
        },
      );
      req.on("error", reject);
      req.end(payload);
    });
  const session = await send("POST", "/session", {
    Authorization: `Basic ${Buffer.from("admin:pass").toString("base64")}`,
  });
  return (method, path, body) => send(method, path, { "vmware-api-session-id": String(session) }, body);
}
