/**
 * A vSphere backup (through the CBT harness) restored as new VMs from its recorded configuration:
 * on the same vCenter and, cross-site, on a standalone ESXi host.
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { after, before, describe, test } from "node:test";
import { children } from "../../main/sources/vsphere/soap-xml.js";
import { deviceList, readDisks } from "../../main/sources/vsphere/vm-disks.js";
import { cliOk, lastLine } from "../support/cli.js";
import { startVcsim } from "../support/vcsim.js";
import { backupArgs, writeExt4, startSiteWithVm, type BackupSite } from "./backup-fixtures.js";
import {
  connectTo,
  jsonObjects,
  MiB,
  restoreArgs,
  textProp,
  thumbprintOf,
  vmNamed,
} from "./restore-support.js";

const VM = "DC0_H0_VM0";
const SIZE = 24 * MiB;

/** Each network adapter as "type on backing". */
function nicsOf(devices: Parameters<typeof children>[0]): string[] {
  return children(devices, "VirtualDevice")
    .filter((d) => children(d, "macAddress").length > 0)
    .map((d) => `${d.xsiType ?? ""} on ${children(d, "backing")[0]?.xsiType ?? ""}`);
}

describe("a vSphere backup restored as a new VM from its recorded configuration", () => {
  let site: BackupSite;
  let image: string;
  let restorePoint: string;

  before(async () => {
    let live: string;
    ({ site, live } = await startSiteWithVm(VM, SIZE));
    writeExt4(site, live, SIZE, "vsphere-roundtrip");
    image = path.join(site.dir, "vsphere-roundtrip.img");
    restorePoint = lastLine((await cliOk(backupArgs(site, VM, [], false), site.env)).stdout);
  });
  after(async () => {
    await site.stop();
  });

  test("on the same vCenter: same hardware, NIC on its network, disk bit for bit", async () => {
    const source = await vmNamed(site.client, VM);
    assert.ok(source);
    const url = `vsphere://127.0.0.1:${site.proxy.port}/DC0/DC0_C0`;
    const r = await cliOk(
      restoreArgs(site.repo, restorePoint, { url, thumbprint: site.proxy.thumbprint, name: "vm0-again" }, [
        "--json",
      ]),
      site.env,
    );
    const notes = jsonObjects(r.stdout).map((o) => o.note);
    assert.ok(
      !notes.some((n) => typeof n === "string" && /not made from vSphere/.test(n)),
      "the record is used",
    );
    const vm = await vmNamed(site.client, "vm0-again");
    assert.ok(vm);
    for (const property of ["config.guestId", "config.hardware.numCPU", "config.hardware.memoryMB"]) {
      assert.equal(textProp(vm, property), textProp(source, property), property);
    }
    const [sourceDisk] = readDisks(deviceList(source.props.get("config.hardware.device")), {
      server: "vcsim",
    });
    const disks = readDisks(deviceList(vm.props.get("config.hardware.device")), { server: "vcsim" });
    assert.equal(disks.length, 1);
    assert.equal(disks[0]?.capacityBytes, SIZE);
    assert.equal(disks[0]?.controllerType, sourceDisk?.controllerType);
    assert.equal(disks[0]?.unitNumber, sourceDisk?.unitNumber);
    const nics = nicsOf(vm.props.get("config.hardware.device"));
    assert.deepEqual(nics, nicsOf(source.props.get("config.hardware.device")), "the same network adapters");
    assert.match(nics[0] ?? "", /DistributedVirtualPortBackingInfo$/, "joined to the distributed port group");
    const flat = path.join(site.vcsim.datastoreDir(), "vm0-again", "vm0-again-flat.vmdk");
    assert.equal(
      spawnSync("cmp", [image, flat]).status,
      0,
      "the disk is byte-identical to the backed-up one",
    );
  });

  test("cross-site on a standalone ESXi host: networks it lacks are left out with a note", async () => {
    const esx = await startVcsim({ esx: true });
    try {
      const url = `vsphere://127.0.0.1:${esx.port}/ha-datacenter/localhost.localdomain`;
      const thumbprint = await thumbprintOf(esx.host, esx.port);
      const r = await cliOk(
        restoreArgs(site.repo, restorePoint, { url, thumbprint, name: "vm0-elsewhere" }, ["--power-on"]),
        site.env,
      );
      const client = await connectTo(esx.host, esx.port);
      try {
        const vm = await vmNamed(client, "vm0-elsewhere");
        assert.ok(vm);
        assert.equal(textProp(vm, "runtime.powerState"), "poweredOn");
        assert.deepEqual(nicsOf(vm.props.get("config.hardware.device")), []);
        assert.match(r.stderr, /note: network adapter 1 is left out: the target has no network "DC0_DVPG0"/);
      } finally {
        await client.close();
      }
      const flat = path.join(esx.datastoreDir(), "vm0-elsewhere", "vm0-elsewhere-flat.vmdk");
      assert.equal(
        spawnSync("cmp", [image, flat]).status,
        0,
        "the disk is byte-identical to the backed-up one",
      );
    } finally {
      await esx.stop();
    }
  });
});
