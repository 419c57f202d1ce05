import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { readFileSync, statfsSync, statSync } from "node:fs";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { parseMoRef, sameMoRef } from "../../main/sources/vsphere/moref.js";
import { retrieveFromContainer } from "../../main/sources/vsphere/property-collector.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { requireReturnval, type VimClient } from "../../main/sources/vsphere/vim-client.js";
import { deviceList, readDisks } from "../../main/sources/vsphere/vm-disks.js";
import { cliOk, runCli } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import {
  allVms,
  connectTo,
  datastoreFolders,
  ext4RestorePoint,
  jsonObjects,
  MiB,
  refProp,
  restoreArgs,
  sparseRestorePoint,
  textProp,
  thumbprintOf,
  vmFolderOf,
  vmNamed,
  type LocalRestorePoint,
} from "./restore-support.js";

/** 3 MiB and a bit: not a whole number of MiB, so the new disk is larger than the data. */
const ODD_SIZE = 3 * MiB + 12_345;

function cmp(a: string, b: string, bytes?: number): boolean {
  const args = bytes === undefined ? [a, b] : ["-n", String(bytes), a, b];
  return spawnSync("cmp", args).status === 0;
}

describe("restore to a new vSphere VM (snapferry restore --to vsphere://...)", () => {
  const temp = makeTempDir("vsphere-restore");
  const repo = path.join(temp.dir, "repo");
  const env = { SNAPFERRY_CONFIG_DIR: path.join(temp.dir, "config"), SNAPFERRY_VSPHERE_PASSWORD: "pass" };
  let ext4: LocalRestorePoint;
  let odd: LocalRestorePoint;
  let vcenter: Vcsim;
  let client: VimClient;
  let url: string;
  let thumbprint: string;

  before(async () => {
    await cliOk(["init", "--repo", repo]);
    ext4 = await ext4RestorePoint(repo, temp.dir, 16 * MiB);
    odd = await sparseRestorePoint(repo, temp.dir, "odd.img", 2 * MiB, ODD_SIZE);
    vcenter = await startVcsim();
    client = await connectTo(vcenter.host, vcenter.port);
    url = `vsphere://127.0.0.1:${vcenter.port}/DC0/DC0_C0`;
    thumbprint = await thumbprintOf(vcenter.host, vcenter.port);
  });
  after(async () => {
    await client.close();
    await vcenter.stop();
    temp.cleanup();
  });

  test("a new VM on the vCenter's cluster gets the disk bit for bit, in the datacenter's VM folder", async () => {
    const r = await cliOk(
      restoreArgs(repo, ext4.id, { url, thumbprint, name: "restored-ext4" }, ["--power-on", "--json"]),
      env,
    );
    const result = jsonObjects(r.stdout).find((o) => "vm" in o);
    assert.ok(result, r.stdout);
    assert.equal(result.datastore, "LocalDS_0");
    assert.equal(result.poweredOn, true);
    const notes = jsonObjects(r.stdout).map((o) => o.note);
    assert.ok(notes.some((n) => typeof n === "string" && /was not made from vSphere/.test(n)));

    const vm = await vmNamed(client, "restored-ext4");
    assert.ok(vm, "the VM exists");
    assert.equal(textProp(vm, "config.hardware.numCPU"), "1");
    assert.equal(textProp(vm, "config.hardware.memoryMB"), "1024");
    assert.equal(textProp(vm, "config.guestId"), "otherGuest64");
    assert.equal(textProp(vm, "runtime.powerState"), "poweredOn");
    const folder = await vmFolderOf(client, "DC0");
    const parent = refProp(vm, "parent");
    assert.ok(folder && parent && sameMoRef(parent, folder), "the VM is in DC0's VM folder");
    const clusterHosts = await retrieveFromContainer(client, {
      container: client.serviceContent.rootFolder,
      types: { ClusterComputeResource: ["name", "host"] },
      recursive: true,
    });
    const host = refProp(vm, "runtime.host");
    const members = clusterHosts.find((c) => c.props.get("name")?.text === "DC0_C0")?.props.get("host");
    assert.ok(
      host && members?.children.some((h) => h.text === host.value),
      "the VM runs on a host of DC0_C0",
    );

    const disks = readDisks(deviceList(vm.props.get("config.hardware.device")), { server: "vcsim" });
    assert.equal(disks.length, 1);
    assert.equal(disks[0]?.capacityBytes, 16 * MiB);
    assert.equal(disks[0]?.thin, true);
    assert.equal(disks[0]?.controllerType, "lsilogic");
    const flat = path.join(vcenter.datastoreDir(), "restored-ext4", "restored-ext4-flat.vmdk");
    assert.ok(cmp(ext4.image, flat), "the flat file is byte-identical to the image backed up");
    assert.deepEqual(
      datastoreFolders(vcenter.datastoreDir()).filter((f) => f.startsWith(".snapferry")),
      [],
      "the upload check file was deleted",
    );
  });

  test("a name that exists in the folder is refused before anything is created", async () => {
    const vmsBefore = (await allVms(client)).length;
    const foldersBefore = datastoreFolders(vcenter.datastoreDir());
    const r = await runCli(restoreArgs(repo, ext4.id, { url, thumbprint, name: "DC0_C0_RP0_VM0" }), env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /a VM named "DC0_C0_RP0_VM0" already exists in the VM folder of DC0\/DC0_C0; nothing was created/,
    );
    assert.equal((await allVms(client)).length, vmsBefore);
    assert.deepEqual(datastoreFolders(vcenter.datastoreDir()), foldersBefore);
  });

  test("an unknown datastore, cluster or datacenter is refused with the names that exist", async () => {
    const vmsBefore = (await allVms(client)).length;
    const noDatastore = await runCli(
      restoreArgs(repo, ext4.id, { url, thumbprint, name: "nope", datastore: "BigSAN" }),
      env,
    );
    assert.equal(noDatastore.code, 1);
    assert.match(
      noDatastore.stderr,
      /no datastore "BigSAN" on DC0\/DC0_C0; its datastores: LocalDS_0 \(.* free\)/,
    );
    const noCluster = await runCli(
      restoreArgs(repo, ext4.id, { url: url.replace("DC0_C0", "DC9_C9"), thumbprint, name: "nope" }),
      env,
    );
    assert.match(
      noCluster.stderr,
      /no host or cluster "DC9_C9" in datacenter DC0 .*: DC0_C0, DC0_C0_H0, DC0_C0_H1, DC0_C0_H2, DC0_H0/,
    );
    const noDatacenter = await runCli(
      restoreArgs(repo, ext4.id, { url: url.replace("/DC0/", "/DC7/"), thumbprint, name: "nope" }),
      env,
    );
    assert.match(noDatacenter.stderr, /no datacenter "DC7" .*; its datacenters: DC0/);
    assert.equal((await allVms(client)).length, vmsBefore);
  });

  test("a datastore without room for the disks is refused, saying how much is needed", async () => {
    // vcsim reports the free space of the file system under its datastore folder.
    const fs = statfsSync(vcenter.datastoreDir());
    const tooBig = Math.ceil((fs.bfree * fs.bsize + 8 * 1024 * MiB) / MiB) * MiB;
    const huge = await sparseRestorePoint(repo, temp.dir, "huge.img", MiB, tooBig);
    const foldersBefore = datastoreFolders(vcenter.datastoreDir());
    const r = await runCli(restoreArgs(repo, huge.id, { url, thumbprint, name: "too-big" }), env);
    assert.equal(r.code, 1, r.stderr);
    assert.match(
      r.stderr,
      /datastore LocalDS_0 has [\d.]+ GiB free; the restored VM needs [\d.]+ GiB \([\d.]+ GiB of disks, and its own small files\); nothing was created/,
    );
    assert.equal(await vmNamed(client, "too-big"), undefined);
    assert.deepEqual(datastoreFolders(vcenter.datastoreDir()), foldersBefore);
  });

  test("a host in maintenance mode is refused before anything is created", async () => {
    const hosts = await retrieveFromContainer(client, {
      container: client.serviceContent.rootFolder,
      types: { HostSystem: ["name"] },
      recursive: true,
    });
    const host = hosts.find((h) => h.props.get("name")?.text === "DC0_H0")?.obj;
    assert.ok(host);
    const answer = await client.invoke("EnterMaintenanceMode_Task", { _this: host, timeout: 0 });
    await waitForTask(client, parseMoRef(requireReturnval(answer, client.server), client.server), {
      timeoutMs: 30_000,
    });
    try {
      const r = await runCli(
        restoreArgs(repo, ext4.id, {
          url: url.replace("DC0_C0", "DC0_H0"),
          thumbprint,
          name: "in-maintenance",
        }),
        env,
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /host DC0_H0 is in maintenance mode: a VM cannot be created on it/);
      assert.equal(await vmNamed(client, "in-maintenance"), undefined);
    } finally {
      const exit = await client.invoke("ExitMaintenanceMode_Task", { _this: host, timeout: 0 });
      await waitForTask(client, parseMoRef(requireReturnval(exit, client.server), client.server), {
        timeoutMs: 30_000,
      });
    }
  });

  test("a wrong password is refused as such", async () => {
    const guarded = await startVcsim({ username: "admin", password: "right" });
    try {
      const r = await runCli(
        restoreArgs(repo, ext4.id, {
          url: `vsphere://127.0.0.1:${guarded.port}/DC0/DC0_C0`,
          thumbprint: await thumbprintOf(guarded.host, guarded.port),
          name: "never",
        }),
        { ...env, SNAPFERRY_VSPHERE_PASSWORD: "Not-This-One-42" },
      );
      assert.equal(r.code, 1);
      assert.match(r.stderr, /wrong user name or password/);
      assert.doesNotMatch(r.stderr + r.stdout, /Not-This-One-42/, "the password is not echoed");
    } finally {
      await guarded.stop();
    }
  });

  test("cross-site: the same repository restored onto a standalone ESXi host", async () => {
    const esx = await startVcsim({ esx: true });
    try {
      const esxClient = await connectTo(esx.host, esx.port);
      try {
        const r = await cliOk(
          restoreArgs(
            repo,
            odd.id,
            {
              url: `vsphere://127.0.0.1:${esx.port}/ha-datacenter/localhost.localdomain`,
              thumbprint: await thumbprintOf(esx.host, esx.port),
              name: "restored-odd",
            },
            ["--json"],
          ),
          env,
        );
        const result = jsonObjects(r.stdout).find((o) => "vm" in o);
        assert.equal(result?.host, "localhost.localdomain");
        const vm = await vmNamed(esxClient, "restored-odd");
        assert.ok(vm, "the VM exists on the ESXi host");
        assert.equal(textProp(vm, "runtime.powerState"), "poweredOff");
        const disks = readDisks(deviceList(vm.props.get("config.hardware.device")), { server: "vcsim" });
        assert.equal(disks[0]?.capacityBytes, 4 * MiB, "rounded up to whole MiB");
        const flat = path.join(esx.datastoreDir(), "restored-odd", "restored-odd-flat.vmdk");
        assert.equal(statSync(flat).size, 4 * MiB, "the flat file has the disk's full capacity");
        assert.ok(cmp(odd.image, flat, ODD_SIZE), "the data is byte-identical");
        assert.ok(
          readFileSync(flat)
            .subarray(ODD_SIZE)
            .every((b) => b === 0),
          "the rest is zeros",
        );
      } finally {
        await esxClient.close();
      }
    } finally {
      await esx.stop();
    }
  });
});
