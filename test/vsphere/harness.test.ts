import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync, openSync, closeSync, readdirSync, writeSync, ftruncateSync } from "node:fs";
import https from "node:https";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import type { TLSSocket } from "node:tls";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startCbtProxy, type CbtProxy } from "./harness/cbt-proxy.js";
import { moXml, RawSoapClient } from "./harness/raw-soap.js";
import { child, children, moref, text, xsiType, type MoRef, type XmlNode } from "./harness/xml-read.js";

const BLOCK = 64 * 1024;
const DISK_BLOCKS = 256; // 16 MiB
const DISK_SIZE = DISK_BLOCKS * BLOCK;
const HOLE = { from: 100, to: 140 }; // blocks never written: not allocated
const FOLDER = "/folder/DC0_H0_VM0/disk1-flat.vmdk?dcPath=DC0&dsName=LocalDS_0";
const FLAT = "[LocalDS_0] DC0_H0_VM0/disk1-flat.vmdk";

function writeBlocks(file: string, blocks: Map<number, Buffer>): void {
  const fd = openSync(file, "r+");
  try {
    for (const [block, data] of blocks) writeSync(fd, data, 0, data.length, block * BLOCK);
  } finally {
    closeSync(fd);
  }
}

interface Backing {
  deviceKey: number;
  fileName: string;
  changeId: string | undefined;
  /** The element names of the backing, in order: checks where changeId was put. */
  fields: string[];
}

function diskBackings(answer: XmlNode | undefined): Backing[] {
  const objects = child(child(answer, "returnval"), "objects");
  const val = child(child(objects, "propSet"), "val");
  return children(val, "VirtualDevice")
    .filter((d) => xsiType(d) === "VirtualDisk")
    .map((device) => {
      const backing = child(device, "backing");
      return {
        deviceKey: Number(text(child(device, "key"))),
        fileName: text(child(backing, "fileName")) ?? "",
        changeId: text(child(backing, "changeId")),
        fields: typeof backing === "object" ? Object.keys(backing).filter((k) => !k.startsWith("@_")) : [],
      };
    });
}

describe("cbt-proxy: vcsim with frozen snapshot disks, CBT and fault injection (test-only harness)", () => {
  let vcsim: Vcsim;
  let proxy: CbtProxy;
  let client: RawSoapClient;
  let vm: MoRef;
  let live: string;
  const original = new Map<number, Buffer>();

  const changedAreas = async (snapshot: MoRef, deviceKey: number, changeId: string) => {
    const areas: { start: number; length: number }[] = [];
    let offset = 0;
    let calls = 0;
    while (offset < DISK_SIZE) {
      const node = await client.ok(
        "QueryChangedDiskAreas",
        `${moXml("_this", vm)}${moXml("snapshot", snapshot)}<deviceKey>${deviceKey}</deviceKey>` +
          `<startOffset>${offset}</startOffset><changeId>${changeId}</changeId>`,
      );
      const info = child(node, "returnval");
      assert.equal(Number(text(child(info, "startOffset"))), offset);
      const length = Number(text(child(info, "length")));
      assert.ok(length > 0, "every answer makes progress");
      for (const area of children(info, "changedArea")) {
        areas.push({
          start: Number(text(child(area, "start"))),
          length: Number(text(child(area, "length"))),
        });
      }
      offset += length;
      calls++;
    }
    assert.equal(offset, DISK_SIZE, "the loop covers exactly the disk");
    const blocks = new Set<number>();
    for (const a of areas) for (let b = a.start / BLOCK; b < (a.start + a.length) / BLOCK; b++) blocks.add(b);
    return { blocks, calls };
  };

  const snapshotDisk = async (snapshot: MoRef): Promise<Backing> => {
    const backing = diskBackings((await client.retrieveRaw(snapshot, ["config.hardware.device"])).node)[0];
    assert.ok(backing, "the snapshot has a disk");
    return backing;
  };

  before(async () => {
    vcsim = await startVcsim();
    proxy = await startCbtProxy(vcsim, { maxAreasPerCall: 4, windowBytes: 4 * 1024 * 1024 });
    client = new RawSoapClient(proxy.url);
    await client.login();
    vm = await client.findByInventoryPath("DC0/vm/DC0_H0_VM0");
    live = path.join(vcsim.datastoreDir(), "DC0_H0_VM0", "disk1-flat.vmdk");
    for (let b = 0; b < DISK_BLOCKS; b++)
      if (b < HOLE.from || b >= HOLE.to) original.set(b, randomBytes(BLOCK));
    const fd = openSync(live, "r+");
    ftruncateSync(fd, DISK_SIZE);
    closeSync(fd);
    writeBlocks(live, original);
  });

  after(async () => {
    client.close();
    await proxy.stop();
    await vcsim.stop();
  });

  test("the proxy presents its own certificate and reports its SHA-256 thumbprint", async () => {
    assert.match(proxy.thumbprint, /^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
    const seen = await new Promise<string>((resolve, reject) => {
      const req = https.get(
        { host: proxy.host, port: proxy.port, path: "/", rejectUnauthorized: false },
        (res) => {
          resolve((res.socket as TLSSocket).getPeerX509Certificate()?.fingerprint256 ?? "");
          res.resume();
        },
      );
      req.on("error", reject);
    });
    assert.equal(seen, proxy.thumbprint);
  });

  test("disks report a changeId in ESXi's format, placed where the vim schema puts it", async () => {
    const [disk] = diskBackings((await client.retrieveRaw(vm, ["config.hardware.device"])).node);
    assert.ok(disk?.changeId, "the VM's disk backing has a changeId");
    assert.match(disk.changeId, /^52( [0-9a-f]{2}){7}-[0-9a-f]{2}( [0-9a-f]{2}){7}\/0$/);
    assert.ok(disk.fields.indexOf("changeId") < disk.fields.indexOf("digestEnabled"));
    assert.ok(disk.fields.indexOf("changeId") > disk.fields.indexOf("eagerlyScrub"));
  });

  test("snapshots freeze the base disk; CBT answers '*' and incremental queries in windows", async () => {
    const first = await client.runTask(
      "CreateSnapshot_Task",
      `${moXml("_this", vm)}<name>one</name><memory>false</memory><quiesce>false</quiesce>`,
    );
    assert.equal(first?.type, "VirtualMachineSnapshot");
    if (!first) return;

    // The guest keeps writing after the snapshot: ~3% of blocks, one of them inside the hole, one zeroed.
    const changed = new Map<number, Buffer>([
      [0, randomBytes(BLOCK)],
      [7, randomBytes(BLOCK)],
      [HOLE.from + 3, randomBytes(BLOCK)],
      [150, Buffer.alloc(BLOCK)],
      [151, randomBytes(BLOCK)],
      [200, randomBytes(BLOCK)],
      [254, randomBytes(BLOCK)],
      [255, randomBytes(BLOCK)],
    ]);
    writeBlocks(live, changed);

    const head = await client.download(FOLDER, undefined, "HEAD");
    assert.equal(head.headers["content-length"], String(DISK_SIZE));
    const range = await client.download(FOLDER, `bytes=${7 * BLOCK}-${8 * BLOCK - 1}`);
    assert.equal(range.status, 206);
    assert.equal(range.headers["content-range"], `bytes ${7 * BLOCK}-${8 * BLOCK - 1}/${DISK_SIZE}`);
    assert.ok(range.body.equals(original.get(7) ?? Buffer.alloc(0)), "the range comes from the frozen base");
    const suffix = await client.download(FOLDER, `bytes=-${BLOCK}`);
    assert.ok(suffix.body.equals(original.get(255) ?? Buffer.alloc(0)));
    assert.ok((proxy.stats.folderBytes.get(FLAT) ?? 0) >= 2 * BLOCK);

    const disk1 = await snapshotDisk(first);
    assert.match(disk1.changeId ?? "", /\/1$/);
    const full = await changedAreas(first, disk1.deviceKey, "*");
    assert.deepEqual(
      [...full.blocks].sort((a, b) => a - b),
      [...original.keys()].sort((a, b) => a - b),
      "'*' reports the allocated blocks: everything but the hole",
    );
    assert.ok(full.calls >= 4, `a client has to loop (${full.calls} calls)`);

    const second = await client.runTask(
      "CreateSnapshot_Task",
      `${moXml("_this", vm)}<name>two</name><memory>false</memory><quiesce>false</quiesce>`,
    );
    if (!second) return assert.fail("no second snapshot");
    const disk2 = await snapshotDisk(second);
    assert.match(disk2.changeId ?? "", /\/2$/);
    const incremental = await changedAreas(second, disk2.deviceKey, disk1.changeId ?? "");
    for (const block of changed.keys())
      assert.ok(incremental.blocks.has(block), `changed block ${block} reported`);
    assert.equal(incremental.blocks.size, changed.size, "no false positives from this harness");
    const unchanged = await changedAreas(second, disk2.deviceKey, disk2.changeId ?? "");
    assert.equal(unchanged.blocks.size, 0);

    const now = await client.download(FOLDER, `bytes=${7 * BLOCK}-${8 * BLOCK - 1}`);
    assert.ok(now.body.equals(changed.get(7) ?? Buffer.alloc(0)), "reads come from the newest snapshot");

    const foreign = await client.call(
      "QueryChangedDiskAreas",
      `${moXml("_this", vm)}${moXml("snapshot", second)}<deviceKey>${disk2.deviceKey}</deviceKey>` +
        "<startOffset>0</startOffset><changeId>52 00 00 00 00 00 00 00-00 00 00 00 00 00 00 00/1</changeId>",
    );
    assert.equal(foreign.status, 500);
    const detail = child(child(foreign.node, "detail"), "InvalidArgumentFault");
    assert.equal(xsiType(detail), "InvalidArgument");
    assert.equal(text(child(detail, "invalidProperty")), "changeId");

    // Removing the older snapshot keeps what diffs need; removing all serves the live disk again.
    await client.runTask(
      "RemoveSnapshot_Task",
      `${moXml("_this", first)}<removeChildren>false</removeChildren>`,
    );
    const afterRemoval = await changedAreas(second, disk2.deviceKey, disk1.changeId ?? "");
    assert.equal(afterRemoval.blocks.size, changed.size);
    await client.runTask("RemoveAllSnapshots_Task", moXml("_this", vm));
    const liveRead = await client.download(FOLDER, `bytes=0-${BLOCK - 1}`);
    assert.ok(liveRead.body.equals(changed.get(0) ?? Buffer.alloc(0)), "no snapshot: the live file");
    assert.deepEqual(readdirSync(path.join(proxy.storageDir, "frozen")), [], "frozen copies are deleted");
    assert.ok(proxy.stats.soapMethods.includes("QueryChangedDiskAreas"));
  });

  test("a CBT reset voids earlier changeIds; the VM's new changeId still answers", async () => {
    const takeSnapshot = async (name: string): Promise<MoRef> => {
      const snapshot = await client.runTask(
        "CreateSnapshot_Task",
        `${moXml("_this", vm)}<name>${name}</name><memory>false</memory><quiesce>false</quiesce>`,
      );
      return snapshot ?? assert.fail("no snapshot");
    };
    const before = await snapshotDisk(await takeSnapshot("before-reset"));
    proxy.resetChangeTracking(vm.value);
    const [vmDisk] = diskBackings((await client.retrieveRaw(vm, ["config.hardware.device"])).node);
    assert.ok(vmDisk?.changeId && vmDisk.changeId !== before.changeId);
    const afterReset = await takeSnapshot("after-reset");
    const refused = await client.call(
      "QueryChangedDiskAreas",
      `${moXml("_this", vm)}${moXml("snapshot", afterReset)}<deviceKey>${before.deviceKey}</deviceKey>` +
        `<startOffset>0</startOffset><changeId>${before.changeId ?? ""}</changeId>`,
    );
    assert.equal(refused.status, 500);
    assert.equal(
      text(child(child(child(refused.node, "detail"), "InvalidArgumentFault"), "invalidProperty")),
      "changeId",
    );
    // The changeId the VM reported right after the reset means "since tracking restarted": all data.
    const sinceReset = await changedAreas(afterReset, before.deviceKey, vmDisk.changeId);
    assert.equal(sinceReset.blocks.size, DISK_BLOCKS - (HOLE.to - HOLE.from), "every allocated block");
    await client.runTask("RemoveAllSnapshots_Task", moXml("_this", vm));
  });

  test("with modelChangeTracking, CBT follows the VM's changeTrackingEnabled as on ESXi", async () => {
    const strict = await startCbtProxy(vcsim, { modelChangeTracking: true });
    const other = new RawSoapClient(strict.url);
    try {
      await other.login();
      const vm1 = await other.findByInventoryPath("DC0/vm/DC0_H0_VM1");
      const disk = async (ref: MoRef) =>
        diskBackings((await other.retrieveRaw(ref, ["config.hardware.device"])).node)[0];
      const snapshotXml = `${moXml("_this", vm1)}<name>s</name><memory>false</memory><quiesce>false</quiesce>`;
      assert.equal((await disk(vm1))?.changeId, undefined, "CBT off: no changeId");

      const untracked =
        (await other.runTask("CreateSnapshot_Task", snapshotXml)) ?? assert.fail("no snapshot");
      const key = (await disk(untracked))?.deviceKey ?? assert.fail("no disk");
      const query = (snapshot: MoRef, changeId: string) =>
        other.call(
          "QueryChangedDiskAreas",
          `${moXml("_this", vm1)}${moXml("snapshot", snapshot)}<deviceKey>${key}</deviceKey>` +
            `<startOffset>0</startOffset><changeId>${changeId}</changeId>`,
        );
      const refused = await query(untracked, "*");
      assert.equal(xsiType(child(child(refused.node, "detail"), "FileFaultFault")), "FileFault");

      await other.runTask(
        "ReconfigVM_Task",
        `${moXml("_this", vm1)}<spec><changeTrackingEnabled>true</changeTrackingEnabled></spec>`,
      );
      assert.ok((await disk(vm1))?.changeId, "CBT on: the disk reports a changeId");
      const tracked = (await other.runTask("CreateSnapshot_Task", snapshotXml)) ?? assert.fail("no snapshot");
      assert.ok((await disk(tracked))?.changeId);
      const answered = await query(tracked, "*");
      assert.equal(answered.status, 200);
      await other.runTask("RemoveAllSnapshots_Task", moXml("_this", vm1));
    } finally {
      other.close();
      await strict.stop();
    }
  });

  test("an upload over a snapshotted base disk is what later reads return", async () => {
    const snapshot = await client.runTask(
      "CreateSnapshot_Task",
      `${moXml("_this", vm)}<name>safety</name><memory>false</memory><quiesce>false</quiesce>`,
    );
    assert.ok(snapshot);
    const restored = randomBytes(4 * BLOCK);
    assert.equal(await client.upload(FOLDER, restored), 200);
    const read = await client.download(FOLDER);
    assert.ok(read.body.equals(restored), "the upload, not the frozen copy");
    await client.runTask("RemoveAllSnapshots_Task", moXml("_this", vm));
    // Later tests expect the 16 MiB disk back.
    const fd = openSync(live, "r+");
    ftruncateSync(fd, DISK_SIZE);
    closeSync(fd);
    writeBlocks(live, original);
  });

  test("injected faults come back in vcsim's SOAP fault shape", async () => {
    proxy.injectFault("CreateSnapshot_Task", { kind: "RestrictedVersion" });
    const call = `${moXml("_this", vm)}<name>x</name><memory>false</memory><quiesce>false</quiesce>`;
    const restricted = await client.call("CreateSnapshot_Task", call);
    assert.equal(restricted.status, 500);
    assert.equal(restricted.name, "Fault");
    assert.equal(text(child(restricted.node, "faultcode")), "ServerFaultCode");
    assert.match(text(child(restricted.node, "faultstring")) ?? "", /license/);
    assert.equal(
      xsiType(child(child(restricted.node, "detail"), "RestrictedVersionFault")),
      "RestrictedVersion",
    );

    proxy.injectFault("CreateSnapshot_Task", {
      kind: "NoPermission",
      privilegeId: "VirtualMachine.State.CreateSnapshot",
    });
    const denied = await client.call("CreateSnapshot_Task", call);
    const fault = child(child(denied.node, "detail"), "NoPermissionFault");
    assert.equal(text(child(fault, "privilegeId")), "VirtualMachine.State.CreateSnapshot");
    assert.deepEqual(moref(child(fault, "object")), vm);

    proxy.injectFault("RetrieveServiceContent", { kind: "soap", faultstring: "something broke" });
    const plain = await client.call(
      "RetrieveServiceContent",
      '<_this type="ServiceInstance">ServiceInstance</_this>',
    );
    assert.equal(text(child(plain.node, "faultstring")), "something broke");
    assert.equal(child(plain.node, "detail"), undefined);

    const snapshot = await client.runTask("CreateSnapshot_Task", call);
    assert.equal(snapshot?.type, "VirtualMachineSnapshot", "a fault is injected once, then calls work again");
    await client.runTask("RemoveAllSnapshots_Task", moXml("_this", vm));
  });

  test("a cut ends /folder transfers early; stop() drops every connection at once", async () => {
    proxy.cutFolderTransfersAfter(BLOCK * 3);
    const cut = await client.download(FOLDER);
    assert.equal(cut.complete, false, "the response ends before its Content-Length");
    assert.ok(cut.body.length <= BLOCK * 3, `at most the budget arrives (${cut.body.length})`);
    const next = await client.download(FOLDER);
    assert.equal(next.body.length, DISK_SIZE, "a one-off cut: the retry gets everything");

    proxy.injectFault("CurrentTime", { kind: "hang" });
    const hung = client.call("CurrentTime", '<_this type="ServiceInstance">ServiceInstance</_this>');
    await new Promise((resolve) => setTimeout(resolve, 100));
    const storage = proxy.storageDir;
    await proxy.stop();
    await assert.rejects(hung, "the open call dies with the proxy");
    assert.ok(!existsSync(storage), "the proxy's frozen copies are gone");
  });
});

describe("cbt-proxy in front of a standalone ESXi model", () => {
  test("snapshots freeze and CBT answers on ha-datacenter, capped at maxAreasPerCall", async () => {
    const esx = await startVcsim({ esx: true });
    const proxy = await startCbtProxy(esx, { maxAreasPerCall: 2 });
    const client = new RawSoapClient(proxy.url);
    try {
      await client.login();
      const vm = await client.findByInventoryPath("ha-datacenter/vm/ha-host_VM0");
      const live = path.join(esx.datastoreDir(), "ha-host_VM0", "disk1-flat.vmdk");
      const data = new Map([1, 3, 5, 7, 9].map((b) => [b, randomBytes(BLOCK)]));
      writeBlocks(live, data);
      const snapshot = await client.runTask(
        "CreateSnapshot_Task",
        `${moXml("_this", vm)}<name>s</name><memory>false</memory><quiesce>false</quiesce>`,
      );
      if (!snapshot) return assert.fail("no snapshot");
      writeBlocks(live, new Map([[1, randomBytes(BLOCK)]]));
      const folder = "/folder/ha-host_VM0/disk1-flat.vmdk?dcPath=ha-datacenter&dsName=LocalDS_0";
      const read = await client.download(folder, `bytes=${BLOCK}-${2 * BLOCK - 1}`);
      assert.ok(read.body.equals(data.get(1) ?? Buffer.alloc(0)), "the frozen block");
      const [disk] = diskBackings((await client.retrieveRaw(snapshot, ["config.hardware.device"])).node);
      const node = await client.ok(
        "QueryChangedDiskAreas",
        `${moXml("_this", vm)}${moXml("snapshot", snapshot)}<deviceKey>${disk?.deviceKey ?? 0}</deviceKey>` +
          "<startOffset>0</startOffset><changeId>*</changeId>",
      );
      const info = child(node, "returnval");
      const areas = children(info, "changedArea").map((a) => Number(text(child(a, "start"))) / BLOCK);
      assert.deepEqual(areas, [1, 3], "two areas at most");
      assert.equal(Number(text(child(info, "length"))), 5 * BLOCK, "the answer stops before the third area");
    } finally {
      client.close();
      await proxy.stop();
      await esx.stop();
    }
  });
});
