/**
 * The vSphere inventory against vcsim: the tree and every VM's details for the default vCenter and
 * ESXi models, inventory paths checked against the server's own FindByInventoryPath, snapshot
 * chain health from real CreateSnapshot_Task calls, and a 1,000-VM site read in a constant number
 * of round trips, paged when the page size is small.
 */
import assert from "node:assert/strict";
import { after, before, describe, it } from "node:test";
import { vsphereInventory } from "../../main/services/vsphere-service.js";
import {
  type HostNode,
  type Inventory,
  type InventoryNode,
  type VmDetails,
} from "../../main/sources/vsphere/inventory.js";
import { VimClient } from "../../main/sources/vsphere/vim-client.js";
import { findInventoryVm } from "../../main/sources/vsphere/vm-lookup.js";
import { startPagingProxy, type PagingProxy } from "../support/paging-proxy.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startCbtProxy, type CbtProxy } from "./harness/cbt-proxy.js";
import { moXml, RawSoapClient } from "./harness/raw-soap.js";
import { child, escapeXml, moref } from "./harness/xml-read.js";

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const DEFAULT_VMS = ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"];
const HOUR = 3600_000;

function connect(target: { host: string; port: number; thumbprint: string }): Promise<VimClient> {
  return VimClient.connect({ ...target, username: "backup", password: "pass", timeoutMs: 30_000 });
}

function walk(node: InventoryNode): InventoryNode[] {
  return [node, ...node.children.flatMap(walk)];
}

function only<T extends InventoryNode["kind"]>(
  nodes: readonly InventoryNode[],
  kind: T,
  name: string,
): Extract<InventoryNode, { kind: T }> {
  const found = nodes.filter(
    (n): n is Extract<InventoryNode, { kind: T }> => n.kind === kind && n.name === name,
  );
  assert.equal(found.length, 1, `one ${kind} named ${name}`);
  const [node] = found;
  assert.ok(node);
  return node;
}

function names(nodes: readonly InventoryNode[]): string[] {
  return nodes.map((n) => `${n.kind}:${n.name}`);
}

function vmNamed(inventory: Inventory, name: string): VmDetails {
  const vm = inventory.vms.find((v) => v.name === name);
  assert.ok(vm, `VM ${name} is in the inventory`);
  return vm;
}

/** The object the server itself finds at an inventory path (its own answer, not ours). */
async function serverFind(raw: RawSoapClient, path: string): Promise<{ type: string; value: string }> {
  return raw.findByInventoryPath(path.replace(/^\//, ""));
}

describe("vSphere inventory: the default vCenter model", () => {
  let sim: Vcsim;
  let proxy: CbtProxy;
  let client: VimClient;
  let raw: RawSoapClient;
  let inventory: Inventory;
  before(async () => {
    sim = await startVcsim();
    // Through the test harness, which reports a changeId for each disk as ESXi does with CBT on.
    proxy = await startCbtProxy(sim);
    client = await connect(proxy);
    raw = new RawSoapClient(sim.url);
    await raw.login();
    proxy.stats.reset();
    inventory = await vsphereInventory(client, new Date());
  });
  after(async () => {
    await client.close();
    raw.close();
    await proxy.stop();
    await sim.stop();
  });

  it("is read in one property collector round trip", () => {
    assert.deepEqual(proxy.stats.soapMethods, ["CreateContainerView", "RetrievePropertiesEx", "DestroyView"]);
  });

  it("builds the hosts-and-clusters tree with datastores and networks", () => {
    assert.equal(inventory.product.apiType, "VirtualCenter");
    assert.deepEqual(inventory.counts, {
      datacenters: 1,
      clusters: 1,
      hosts: 4,
      resourcePools: 0,
      vms: 4,
      datastores: 1,
      networks: 3,
    });
    const dc = only(inventory.root.children, "datacenter", "DC0");
    assert.equal(dc.path, "/DC0");
    const hostFolder = only(dc.children, "folder", "host");
    assert.equal(hostFolder.path, "/DC0/host");
    assert.deepEqual(names(hostFolder.children), ["cluster:DC0_C0", "host:DC0_H0"]);

    const cluster = only(hostFolder.children, "cluster", "DC0_C0");
    assert.equal(cluster.path, "/DC0/host/DC0_C0");
    assert.deepEqual(names(cluster.children), ["host:DC0_C0_H0", "host:DC0_C0_H1", "host:DC0_C0_H2"]);
    for (const host of cluster.children as HostNode[]) {
      assert.equal(host.path, `/DC0/host/DC0_C0/${host.name}`);
      assert.equal(host.standalone, false);
      assert.equal(host.connectionState, "connected");
      assert.equal(host.powerState, "poweredOn");
      assert.equal(host.computeResource.path, "/DC0/host/DC0_C0");
      // A cluster's VMs in its root pool appear under the host they run on.
      for (const vm of host.children) assert.equal(vmNamed(inventory, vm.name).host?.name, host.name);
    }
    const clusterVms = cluster.children.flatMap((h) => h.children.map((vm) => vm.name)).sort();
    assert.deepEqual(clusterVms, ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1"]);

    const standalone = only(hostFolder.children, "host", "DC0_H0");
    assert.equal(standalone.standalone, true);
    assert.equal(standalone.path, "/DC0/host/DC0_H0/DC0_H0");
    assert.equal(standalone.computeResource.path, "/DC0/host/DC0_H0");
    assert.deepEqual(names(standalone.children), ["vm:DC0_H0_VM0", "vm:DC0_H0_VM1"]);

    assert.equal(dc.datastores.length, 1);
    const [ds] = dc.datastores;
    assert.equal(ds?.name, "LocalDS_0");
    assert.equal(ds.path, "/DC0/datastore/LocalDS_0");
    assert.equal(ds.accessible, true);
    assert.ok(ds.capacityBytes !== undefined && ds.capacityBytes > 0, "capacity is known");
    assert.ok(ds.freeBytes !== undefined && ds.freeBytes > 0 && ds.freeBytes <= ds.capacityBytes);
    const networks = dc.networks.map((n) => `${n.type}:${n.name}`);
    assert.ok(networks.includes("Network:VM Network"), networks.join());
    assert.ok(networks.includes("DistributedVirtualPortgroup:DC0_DVPG0"), networks.join());
    assert.deepEqual(inventory.unreadable, []);
  });

  it("reads each VM's identity, state, hardware and disks", async () => {
    assert.deepEqual(
      inventory.vms.map((vm) => vm.path),
      DEFAULT_VMS.map((name) => `/DC0/vm/${name}`),
    );
    const { searchIndex } = await raw.serviceContent();
    for (const vm of inventory.vms) {
      assert.equal(vm.datacenter, "DC0");
      assert.equal(vm.powerState, "poweredOn");
      assert.equal(vm.template, false);
      assert.match(vm.instanceUuid ?? "", UUID);
      assert.match(vm.biosUuid ?? "", UUID);
      assert.notEqual(vm.instanceUuid, vm.biosUuid);
      // The server finds this very VM by the instance UUID we read.
      const found = await raw.ok(
        "FindByUuid",
        `${moXml("_this", searchIndex)}<uuid>${escapeXml(vm.instanceUuid ?? "")}</uuid>` +
          "<vmSearch>true</vmSearch><instanceUuid>true</instanceUuid>",
      );
      assert.deepEqual(moref(child(found, "returnval")), vm.moref);
      assert.equal(vm.guestId, "otherGuest");
      assert.deepEqual(vm.hardware, { numCPUs: 1, memoryMB: 32, firmware: "bios" });
      assert.equal(vm.toolsRunning, false);
      assert.equal(vm.changeTrackingEnabled, false);
      assert.deepEqual(vm.datastores, ["LocalDS_0"]);
      assert.equal(vm.disks.length, 1, "vcsim gives each VM one disk");
      const [disk] = vm.disks;
      assert.ok(disk);
      assert.equal(disk.file, `[LocalDS_0] ${vm.name}/disk1.vmdk`);
      assert.equal(disk.baseFile, disk.file);
      assert.equal(disk.datastore, "LocalDS_0");
      assert.equal(disk.capacityBytes, 1024 * 1024);
      assert.equal(disk.controllerType, "pvscsi");
      assert.equal(disk.busNumber, 0);
      assert.equal(disk.unitNumber, 0);
      assert.equal(disk.thin, true);
      assert.equal(disk.provisioning, "thin");
      assert.equal(disk.excludedFromSnapshots, false);
      assert.match(disk.changeId ?? "", /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/\d+$/);
      assert.equal(vm.nics.length, 1);
      assert.equal(vm.nics[0]?.adapterType, "e1000");
      assert.equal(vm.nics[0]?.network, "DC0_DVPG0");
      assert.deepEqual(vm.snapshots, []);
      assert.equal(vm.chainHealth.status, "ok");
      assert.equal(vm.chainHealth.depth, 0);
    }
  });

  it("gives inventory paths the server itself resolves to the same objects", async () => {
    const dc = only(inventory.root.children, "datacenter", "DC0");
    const entities = [
      ...walk(inventory.root).filter((n) => n.kind !== "folder" || n.path !== "/"),
      ...dc.datastores,
      ...dc.networks,
    ];
    assert.ok(entities.length >= 14);
    for (const entity of entities)
      assert.deepEqual(await serverFind(raw, entity.path), entity.moref, entity.path);
  });

  it("finds a VM by inventory path or by a name only one VM has", () => {
    assert.equal(findInventoryVm(inventory, "/DC0/vm/DC0_H0_VM1").name, "DC0_H0_VM1");
    assert.equal(findInventoryVm(inventory, "DC0/vm/DC0_H0_VM1").name, "DC0_H0_VM1");
    assert.equal(findInventoryVm(inventory, "DC0_C0_RP0_VM0").path, "/DC0/vm/DC0_C0_RP0_VM0");
    assert.throws(() => findInventoryVm(inventory, "nope"), /no VM "nope" on /);
  });

  it("shows a 3-deep snapshot chain with its warning, and old snapshots as too old", async () => {
    const vm = vmNamed(inventory, "DC0_H0_VM0");
    for (const [name, quiesce] of [
      ["before-upgrade", false],
      ["after-upgrade", true],
      ["friday", false],
    ] as const) {
      await raw.runTask(
        "CreateSnapshot_Task",
        `${moXml("_this", vm.moref)}<name>${name}</name><description>test</description>` +
          `<memory>false</memory><quiesce>${quiesce}</quiesce>`,
      );
    }
    const now = new Date();
    const after = vmNamed(await vsphereInventory(client, now), "DC0_H0_VM0");
    assert.equal(after.chainHealth.depth, 3);
    assert.equal(after.chainHealth.snapshotCount, 3);
    assert.equal(after.chainHealth.status, "warning");
    assert.deepEqual(
      after.chainHealth.warnings.map((w) => w.kind),
      ["deep-chain"],
    );
    assert.match(after.chainHealth.warnings[0]?.message ?? "", /chain of 3 snapshots/);
    assert.equal(after.chainHealth.blocked, undefined);

    const [root] = after.snapshots;
    const middle = root?.children[0];
    const leaf = middle?.children[0];
    assert.ok(root && middle && leaf);
    assert.deepEqual([root.name, middle.name, leaf.name], ["before-upgrade", "after-upgrade", "friday"]);
    assert.deepEqual([root.depth, middle.depth, leaf.depth], [1, 2, 3]);
    assert.deepEqual([root.quiesced, middle.quiesced, leaf.quiesced], [false, true, false]);
    assert.deepEqual([root.current, middle.current, leaf.current], [false, false, true]);
    assert.equal(after.currentSnapshot, leaf.snapshot);
    assert.match(leaf.snapshot, /^snapshot-/);
    assert.equal(typeof leaf.id, "number");
    for (const node of [root, middle, leaf]) {
      assert.ok(node.ageMs >= 0 && node.ageMs < HOUR, "just taken");
      assert.equal(node.tooOld, false);
      assert.ok(Math.abs(node.createTime.getTime() - now.getTime()) < HOUR);
    }
    // The same tree four days later: every snapshot is past VMware's 72 hours.
    const later = vmNamed(await vsphereInventory(client, new Date(now.getTime() + 96 * HOUR)), "DC0_H0_VM0");
    assert.deepEqual(
      later.chainHealth.warnings.map((w) => w.kind),
      ["deep-chain", "old-snapshots"],
    );
    assert.ok(later.snapshots[0]?.tooOld);
    // Other VMs are untouched.
    assert.equal(vmNamed(await vsphereInventory(client, now), "DC0_H0_VM1").chainHealth.depth, 0);
  });

  it("shows VMware Tools running and CBT on once the VM reports them", async () => {
    const vm = vmNamed(inventory, "DC0_C0_RP0_VM1");
    await raw.runTask(
      "ReconfigVM_Task",
      `${moXml("_this", vm.moref)}<spec><extraConfig><key>SET.guest.toolsRunningStatus</key>` +
        '<value xmlns:xsd="http://www.w3.org/2001/XMLSchema" xsi:type="xsd:string">guestToolsRunning</value>' +
        "</extraConfig><changeTrackingEnabled>true</changeTrackingEnabled></spec>",
    );
    const after = vmNamed(await vsphereInventory(client, new Date()), vm.name);
    assert.equal(after.toolsRunningStatus, "guestToolsRunning");
    assert.equal(after.toolsRunning, true);
    assert.equal(after.changeTrackingEnabled, true);
  });
});

describe("vSphere inventory: the ESXi model", () => {
  let sim: Vcsim;
  let proxy: PagingProxy;
  let client: VimClient;
  before(async () => {
    sim = await startVcsim({ esx: true });
    proxy = await startPagingProxy(sim);
    client = await connect(proxy);
  });
  after(async () => {
    await client.close();
    await proxy.close();
    await sim.stop();
  });

  it("shows ha-datacenter with its one host, its VMs and its datastore", async () => {
    const inventory = await vsphereInventory(client, new Date());
    assert.equal(inventory.product.apiType, "HostAgent");
    assert.equal(inventory.counts.hosts, 1);
    assert.equal(inventory.counts.clusters, 0);
    const dc = only(inventory.root.children, "datacenter", "ha-datacenter");
    const hostFolder = only(dc.children, "folder", "host");
    assert.equal(hostFolder.children.length, 1);
    const [host] = hostFolder.children;
    assert.ok(host?.kind === "host");
    assert.equal(host.standalone, true);
    assert.equal(host.connectionState, "connected");
    assert.deepEqual(names(host.children), ["vm:ha-host_VM0", "vm:ha-host_VM1"]);
    assert.deepEqual(
      inventory.vms.map((vm) => vm.path),
      ["/ha-datacenter/vm/ha-host_VM0", "/ha-datacenter/vm/ha-host_VM1"],
    );
    for (const vm of inventory.vms) {
      assert.equal(vm.host?.name, host.name);
      assert.equal(vm.cluster, undefined);
      assert.equal(vm.disks.length, 1);
      assert.match(vm.instanceUuid ?? "", UUID);
    }
    assert.deepEqual(
      dc.datastores.map((d) => d.name),
      ["LocalDS_0"],
    );
  });
});

describe("vSphere inventory: a 1,000-VM site", () => {
  let sim: Vcsim;
  let proxy: PagingProxy;
  let client: VimClient;
  let raw: RawSoapClient;
  before(async () => {
    // 500 VMs in the cluster and 500 on the standalone host; the datacenter sits in a folder, and
    // the cluster has two child resource pools.
    sim = await startVcsim({ size: { vmsPerHost: 500, folders: 1, poolsPerCluster: 2 } });
    proxy = await startPagingProxy(sim);
    client = await connect(proxy);
    raw = new RawSoapClient(sim.url);
    await raw.login();
  });
  after(async () => {
    await client.close();
    raw.close();
    await proxy.close();
    await sim.stop();
  });

  it("is read in a constant number of calls, page by page", async () => {
    proxy.methods.length = 0;
    proxy.pageSizes.length = 0;
    const inventory = await vsphereInventory(client, new Date(), { pageSize: 200 });
    assert.equal(inventory.counts.vms, 1000);
    assert.equal(inventory.vms.length, 1000);
    const objects = proxy.pageSizes.reduce((a, b) => a + b, 0);
    const pages = Math.ceil(objects / 200);
    assert.ok(pages >= 5, `${objects} objects need at least 5 pages of 200`);
    assert.deepEqual(proxy.pageSizes.slice(0, -1), Array<number>(pages - 1).fill(200));
    assert.deepEqual(proxy.methods, [
      "CreateContainerView",
      "RetrievePropertiesEx",
      ...Array<string>(pages - 1).fill("ContinueRetrievePropertiesEx"),
      "DestroyView",
    ]);
    for (const vm of inventory.vms) {
      assert.equal(vm.disks.length, 1, vm.name);
      assert.match(vm.instanceUuid ?? "", UUID, vm.name);
    }

    // Nested folders and resource pools: paths the server resolves, pools in the cluster.
    const cluster = walk(inventory.root).find((n) => n.kind === "cluster");
    assert.ok(cluster);
    const pools = cluster.children.filter((n) => n.kind === "resource-pool");
    assert.deepEqual(
      pools.map((p) => p.name),
      ["DC0_C0_RP1", "DC0_C0_RP2"],
    );
    const sample = [cluster, ...pools, ...inventory.vms.slice(0, 3), ...inventory.vms.slice(-3)];
    for (const entity of sample)
      assert.deepEqual(await serverFind(raw, entity.path), entity.moref, entity.path);
    assert.match(cluster.path, /^\/F0\/DC0\/host\//);
  });

  it("gives the same inventory whatever the page size", async () => {
    const now = new Date();
    const paged = await vsphereInventory(client, now, { pageSize: 97 });
    const whole = await vsphereInventory(client, now, { pageSize: 5000 });
    assert.deepEqual(paged, whole);
  });
});
