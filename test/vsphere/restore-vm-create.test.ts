/**
 * The VirtualMachineConfigSpec a restore builds, sent to a real vcsim: every controller type of the
 * VM configuration record, disks in their recorded slots, NICs on standard and distributed
 * networks, and one whose network the target lacks.
 */
import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { createVm, readCreatedVm } from "../../main/sources/vsphere/new-vm.js";
import { resolvePlacement } from "../../main/sources/vsphere/placement.js";
import { children } from "../../main/sources/vsphere/soap-xml.js";
import { targetNetworks } from "../../main/sources/vsphere/target-networks.js";
import type { VimClient } from "../../main/sources/vsphere/vim-client.js";
import type { VmConfigRecord, VmDiskRecord } from "../../main/sources/vsphere/vm-config-record.js";
import { buildVmCreateSpec } from "../../main/sources/vsphere/vm-create.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { connectTo, MiB, vmNamed } from "./restore-support.js";

function disk(
  index: number,
  slot: Pick<VmDiskRecord, "controllerType" | "busNumber" | "unitNumber">,
): VmDiskRecord {
  return {
    index,
    deviceKey: 2000 + index,
    capacityBytes: (index + 1) * MiB,
    controllerKey: 1000 + index,
    thin: index !== 1,
    file: `[LocalDS_0] source/disk${index}.vmdk`,
    ...slot,
  };
}

const RECORD: VmConfigRecord = {
  version: 1,
  name: "source",
  instanceUuid: "50010203-0405-0607-0809-0a0b0c0d0e0f",
  guestId: "ubuntu64Guest",
  numCPUs: 2,
  memoryMB: 2048,
  firmware: "efi",
  disks: [
    disk(0, { controllerType: "pvscsi", busNumber: 0, unitNumber: 0 }),
    disk(1, { controllerType: "pvscsi", busNumber: 0, unitNumber: 1 }),
    disk(2, { controllerType: "lsilogic-sas", busNumber: 1, unitNumber: 3 }),
    disk(3, { controllerType: "sata", busNumber: 0, unitNumber: 2 }),
    disk(4, { controllerType: "nvme", busNumber: 0, unitNumber: 0 }),
    disk(5, { controllerType: "ide", busNumber: 1, unitNumber: 0 }),
  ],
  nics: [
    { network: "VM Network", adapterType: "vmxnet3" },
    { network: "DC0_DVPG0", adapterType: "e1000e" },
    { network: "Backup LAN", adapterType: "vmxnet3" },
  ],
};

describe("the VM a restore creates from a VM configuration record (vcsim)", () => {
  let vcsim: Vcsim;
  let client: VimClient;
  before(async () => {
    vcsim = await startVcsim();
    client = await connectTo(vcsim.host, vcsim.port);
  });
  after(async () => {
    await client.close();
    await vcsim.stop();
  });

  test("gets each disk on its controller type, bus and unit, and each NIC whose network exists", async () => {
    const placement = await resolvePlacement(client, { path: ["DC0", "DC0_C0"], datastore: "LocalDS_0" });
    const networks = await targetNetworks(
      client,
      placement.networks,
      RECORD.nics.map((n) => n.network),
    );
    assert.deepEqual([...networks.keys()].sort(), ["DC0_DVPG0", "VM Network"]);
    const plan = buildVmCreateSpec(RECORD, {
      name: "all-controllers",
      datastore: placement.datastore,
      networks,
      annotation: "test",
    });
    assert.ok(
      plan.notes.some((n) => /network adapter 3 is left out: the target has no network "Backup LAN"/.test(n)),
    );
    assert.ok(plan.notes.some((n) => /thick-provisioned disks of the source are restored thin/.test(n)));

    const vm = await createVm(client, placement, plan.spec);
    const created = await readCreatedVm(client, vm, "all-controllers");
    const slots = created.disks.map(
      (d) => `${d.controllerType} ${d.busNumber}:${d.unitNumber} ${d.capacityBytes / MiB}M`,
    );
    assert.deepEqual(slots.sort(), [
      "ide 1:0 6M",
      "lsilogic-sas 1:3 3M",
      "nvme 0:0 5M",
      "pvscsi 0:0 1M",
      "pvscsi 0:1 2M",
      "sata 0:2 4M",
    ]);
    assert.ok(created.disks.every((d) => d.thin && d.file.startsWith("[LocalDS_0] all-controllers/")));

    const info = await vmNamed(client, "all-controllers");
    assert.ok(info);
    assert.equal(info.props.get("config.guestId")?.text, "ubuntu64Guest");
    assert.equal(info.props.get("config.hardware.numCPU")?.text, "2");
    assert.equal(info.props.get("config.hardware.memoryMB")?.text, "2048");
    const nics = children(info.props.get("config.hardware.device"), "VirtualDevice")
      .filter((d) => children(d, "macAddress").length > 0)
      .map((d) => `${d.xsiType ?? ""} ${children(d, "backing")[0]?.xsiType ?? ""}`);
    assert.deepEqual(nics, [
      "VirtualVmxnet3 VirtualEthernetCardNetworkBackingInfo",
      "VirtualE1000e VirtualEthernetCardDistributedVirtualPortBackingInfo",
    ]);
  });
});
