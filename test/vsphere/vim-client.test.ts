import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { Readable } from "node:stream";
import { after, before, describe, it } from "node:test";
import { moref, type MoRef } from "../../main/sources/vsphere/moref.js";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import { retrieveFromContainer, retrieveProperties } from "../../main/sources/vsphere/property-collector.js";
import { SERVICE_INSTANCE } from "../../main/sources/vsphere/service-content.js";
import { children, requireChild, text } from "../../main/sources/vsphere/soap-xml.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { requireReturnval, VimClient } from "../../main/sources/vsphere/vim-client.js";
import { VsphereFaultError } from "../../main/sources/vsphere/vsphere-errors.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";

const DEFAULT_VMS = ["DC0_C0_RP0_VM0", "DC0_C0_RP0_VM1", "DC0_H0_VM0", "DC0_H0_VM1"];

async function connect(sim: Vcsim, username = "backup", password = "pass"): Promise<VimClient> {
  const { thumbprint } = await probeCertificate(sim.host, sim.port, 5000);
  return VimClient.connect({
    host: sim.host,
    port: sim.port,
    thumbprint,
    username,
    password,
    timeoutMs: 20_000,
  });
}

async function vmsByName(client: VimClient): Promise<Map<string, MoRef>> {
  const found = await retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { VirtualMachine: ["name"] },
    recursive: true,
  });
  return new Map(found.map((o) => [o.props.get("name")?.text ?? "", o.obj]));
}

async function sessionKeys(client: VimClient): Promise<string[]> {
  const { props } = await retrieveProperties(client, client.serviceContent.sessionManager, ["sessionList"]);
  return children(props.get("sessionList"), "UserSession").map((s) => text(s, "key") ?? "");
}

async function bodyOf(response: IncomingMessage): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const part of response) parts.push(part as Buffer);
  return Buffer.concat(parts);
}

describe("VimClient against vcsim (vCenter)", () => {
  let sim: Vcsim;
  let client: VimClient;
  before(async () => {
    sim = await startVcsim();
    client = await connect(sim);
  });
  after(async () => {
    await client.close();
    await sim.stop();
  });

  it("reads the service content and logs in", () => {
    const content = client.serviceContent;
    assert.equal(content.about.apiType, "VirtualCenter");
    assert.match(content.about.apiVersion, /^\d+\.\d+/);
    assert.ok(content.about.instanceUuid, "a vCenter has an instance UUID");
    assert.equal(content.rootFolder.type, "Folder");
    assert.equal(content.propertyCollector.type, "PropertyCollector");
    assert.equal(content.sessionManager.type, "SessionManager");
    assert.ok(client.sessionKey);
    assert.equal(client.server, `${sim.host}:${sim.port}`);
  });

  // vcsim ignores maxObjects; vim-paging.test.ts checks the paging itself through a paging proxy.
  it("reads every VM of the default model with a page size of one", async () => {
    const all = await retrieveFromContainer(client, {
      container: client.serviceContent.rootFolder,
      types: { VirtualMachine: ["name", "runtime.powerState"] },
      recursive: true,
      pageSize: 1,
    });
    assert.deepEqual(all.map((o) => o.props.get("name")?.text).sort(), DEFAULT_VMS);
    for (const o of all) {
      assert.equal(o.obj.type, "VirtualMachine");
      assert.equal(o.props.get("runtime.powerState")?.xsiType, "VirtualMachinePowerState");
    }
  });

  it("maps a fault of a real call (an unknown managed object type)", async () => {
    await assert.rejects(
      retrieveFromContainer(client, {
        container: client.serviceContent.rootFolder,
        types: { NoSuchType: ["name"] },
        recursive: true,
      }),
      (err: unknown) =>
        err instanceof VsphereFaultError &&
        err.faultType === "InvalidArgument" &&
        /invalid argument type/.test(err.message),
    );
  });

  it("waits for a task, and maps a failed task's fault (InvalidPowerState)", async () => {
    const vm = (await vmsByName(client)).get("DC0_H0_VM0");
    assert.ok(vm);
    const progress: number[] = [];
    const powerOff = async (): Promise<unknown> => {
      const task = requireReturnval(await client.invoke("PowerOffVM_Task", { _this: vm }), client.server);
      return waitForTask(client, moref("Task", task.text), {
        timeoutMs: 30_000,
        onProgress: (p) => progress.push(p),
      });
    };
    await powerOff();
    const { props } = await retrieveProperties(client, vm, ["runtime.powerState"]);
    assert.equal(props.get("runtime.powerState")?.text, "poweredOff");

    await assert.rejects(powerOff(), (err: unknown) => {
      assert.ok(err instanceof VsphereFaultError);
      assert.equal(err.code, "vsphere-power-state");
      assert.equal(err.faultType, "InvalidPowerState");
      assert.match(err.message, /is not possible: the VM is powered off/);
      assert.match(err.message, new RegExp(`\\(${sim.host}:${sim.port}\\)`));
      return true;
    });
  });

  it("logs in again, once, after the session was ended behind its back", async () => {
    const admin = await connect(sim, "admin", "other");
    try {
      const firstKey = client.sessionKey;
      assert.ok(firstKey);
      await admin.invoke("TerminateSession", {
        _this: admin.serviceContent.sessionManager,
        sessionId: [firstKey],
      });
      assert.ok(!(await sessionKeys(admin)).includes(firstKey), "the session is gone on the server");

      // A plain call: the server answers NotAuthenticated, the client logs in and repeats it.
      const time = await client.invoke("CurrentTime", { _this: SERVICE_INSTANCE });
      assert.match(requireReturnval(time, client.server).text, /^\d{4}-\d\d-\d\dT/);
      const secondKey = client.sessionKey;
      assert.ok(secondKey && secondKey !== firstKey, "a new session");

      // A collector call, which vcsim answers with NotAuthenticated "missing" properties instead.
      await admin.invoke("TerminateSession", {
        _this: admin.serviceContent.sessionManager,
        sessionId: [secondKey],
      });
      const { props } = await retrieveProperties(client, client.serviceContent.rootFolder, ["name"]);
      assert.equal(props.get("name")?.text, "Datacenters");
      assert.notEqual(client.sessionKey, secondKey);
    } finally {
      await admin.close();
    }
  });

  it("sends datastore HTTP requests through the pinned agent with the session", async () => {
    const data = Buffer.from("0123456789abcdefghijklmnopqrstuvwxyz");
    writeFileSync(path.join(sim.datastoreDir(), "DC0_H0_VM0", "disk1-flat.vmdk"), data);
    const query = "dcPath=DC0&dsName=LocalDS_0";
    const ranged = await client.httpRequest("GET", `/folder/DC0_H0_VM0/disk1-flat.vmdk?${query}`, {
      headers: { Range: "bytes=4-11" },
    });
    assert.equal(ranged.statusCode, 206);
    assert.deepEqual(await bodyOf(ranged), data.subarray(4, 12));

    const upload = Buffer.alloc(256 * 1024, 7);
    const put = await client.httpRequest("PUT", `/folder/DC0_H0_VM0/uploaded.bin?${query}`, {
      headers: { "Content-Type": "application/octet-stream", "Content-Length": upload.length },
      body: Readable.from([upload.subarray(0, 1000), upload.subarray(1000)]),
    });
    await bodyOf(put);
    assert.ok(put.statusCode === 200 || put.statusCode === 201, `PUT answered ${put.statusCode}`);
    assert.deepEqual(readFileSync(path.join(sim.datastoreDir(), "DC0_H0_VM0", "uploaded.bin")), upload);
  });

  it("keeps an idle session alive", async () => {
    const { thumbprint } = await probeCertificate(sim.host, sim.port, 5000);
    const idle = await VimClient.connect({
      ...{ host: sim.host, port: sim.port, thumbprint, username: "idle", password: "pw" },
      keepAliveMs: 100,
    });
    try {
      const callCount = async (): Promise<number> => {
        const { props } = await retrieveProperties(client, client.serviceContent.sessionManager, [
          "sessionList",
        ]);
        const session = children(props.get("sessionList"), "UserSession").find(
          (s) => text(s, "key") === idle.sessionKey,
        );
        return Number(text(session, "callCount"));
      };
      const before = await callCount();
      await new Promise((resolve) => setTimeout(resolve, 550));
      assert.ok((await callCount()) >= before + 3, "CurrentTime was called on the timer");
    } finally {
      await idle.close();
    }
  });

  it("logs out on close, and refuses calls afterwards", async () => {
    const other = await connect(sim, "someone", "pw");
    const key = other.sessionKey;
    assert.ok(key && (await sessionKeys(client)).includes(key));
    await other.close();
    await other.close();
    assert.ok(!(await sessionKeys(client)).includes(key), "the session was logged out");
    await assert.rejects(
      other.invoke("CurrentTime", { _this: SERVICE_INSTANCE }),
      /after the connection .* was closed/,
    );
  });
});

describe("VimClient against vcsim (standalone ESXi)", () => {
  it("connects to a host agent", async () => {
    const sim = await startVcsim({ esx: true });
    try {
      const client = await connect(sim);
      try {
        assert.equal(client.serviceContent.about.apiType, "HostAgent");
        const names = [...(await vmsByName(client)).keys()];
        assert.ok(names.length > 0, "the ESXi model has VMs");
        const root = requireChild(client.serviceContent.node, "rootFolder", client.server);
        assert.equal(root.attributes.type, "Folder");
      } finally {
        await client.close();
      }
    } finally {
      await sim.stop();
    }
  });
});

describe("VimClient login failures", () => {
  it("says the user name or password is wrong, never showing the password", async () => {
    const sim = await startVcsim({ username: "admin", password: "right-Pa55" });
    try {
      const password = "wrong-Pa55-secret";
      await assert.rejects(connect(sim, "admin", password), (err: unknown) => {
        assert.ok(err instanceof VsphereFaultError);
        assert.equal(err.code, "vsphere-login");
        assert.equal(err.message, `wrong user name or password for ${sim.host}:${sim.port}`);
        const shown = `${err.message} ${err.hint ?? ""} ${err.serverMessage} ${err.stack ?? ""}`;
        assert.ok(!shown.includes(password));
        return true;
      });
      const client = await connect(sim, "admin", "right-Pa55");
      await client.close();
    } finally {
      await sim.stop();
    }
  });
});
