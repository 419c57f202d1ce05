/**
 * Pointing a VM's existing disks at other files: one ReconfigVM_Task whose device changes "edit"
 * each disk, keeping its device key, slot, capacity and mode and changing only the backing's file.
 * vSphere applies all the changes of one reconfiguration or none, and the device keys stay, so
 * CBT and later restores still recognise the disks. What the VM really uses afterwards is read
 * back rather than assumed, since a task that timed out may still have done its work.
 */
import { SnapferryError } from "../../common/errors.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import type { SoapFields, SoapObject } from "./soap-envelope.js";
import { child, text, type XmlNode } from "./soap-xml.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { deviceList, readDisks } from "./vm-disks.js";

export interface DiskSwap {
  /** The VirtualDisk as the VM's config.hardware.device lists it now. */
  device: XmlNode;
  /** The descriptor the disk is to use: "[DS] vm/disk1-snapferry-1a2b.vmdk". */
  newFile: string;
}

const RECONFIGURE_TIMEOUT_MS = 10 * 60_000;

/** Every VirtualDisk of a device list, by device key, as the raw node an edit spec copies from. */
export function diskDevices(devices: XmlNode | undefined): Map<number, XmlNode> {
  const disks = deviceList(devices).filter((d) => d.xsiType === "VirtualDisk");
  return new Map(disks.map((d) => [Number(text(d, "key")), d]));
}

export async function swapDiskFiles(client: VimClient, vm: MoRef, swaps: readonly DiskSwap[]): Promise<void> {
  const answer = await client.invoke("ReconfigVM_Task", {
    _this: vm,
    spec: { fields: { deviceChange: swaps.map((swap) => editSpec(swap, client.server)) } },
  });
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  // Not cancellable: once sent, the outcome must be known before anything else is done.
  await waitForTask(client, task, { timeoutMs: RECONFIGURE_TIMEOUT_MS });
}

/** The file each disk of the VM uses now, by device key. */
export async function attachedDiskFiles(client: VimClient, vm: MoRef): Promise<Map<number, string>> {
  const { props } = await retrieveProperties(client, vm, ["config.hardware.device"]);
  const disks = readDisks(deviceList(props.get("config.hardware.device")), { server: client.server });
  return new Map(disks.map((d) => [d.key, d.file]));
}

/** The disk as it is, fields in schema order, with only the backing's file name changed. */
function editSpec(swap: DiskSwap, server: string): SoapObject {
  const { device } = swap;
  const backing = child(device, "backing");
  if (backing?.xsiType !== "VirtualDiskFlatVer2BackingInfo") {
    throw new SnapferryError(
      "internal",
      `only flat disks can be pointed at another file, not a ${backing?.xsiType ?? "disk without backing"}`,
    );
  }
  const label = text(child(device, "deviceInfo"), "label");
  return {
    fields: {
      operation: "edit",
      device: {
        xsiType: "VirtualDisk",
        fields: {
          key: required(device, "key"),
          // Unchanged, but servers rebuild a device from the spec and some need its description.
          deviceInfo: label ? { xsiType: "Description", fields: { label, summary: "" } } : undefined,
          backing: {
            xsiType: "VirtualDiskFlatVer2BackingInfo",
            fields: backingFields(backing, swap.newFile, server),
          },
          controllerKey: text(device, "controllerKey"),
          unitNumber: text(device, "unitNumber"),
          capacityInKB: required(device, "capacityInKB"),
          capacityInBytes: text(device, "capacityInBytes"),
        },
      },
    },
  };
}

/**
 * The backing's own settings, copied where the server reported them. The UUID, content id and
 * change id describe the old file and are left for the server to read from the new one.
 */
function backingFields(backing: XmlNode, fileName: string, server: string): SoapFields {
  const datastore = child(backing, "datastore");
  const flag = (name: string): boolean | undefined => {
    const value = text(backing, name);
    return value === undefined ? undefined : value === "true";
  };
  return {
    fileName,
    datastore: datastore ? parseMoRef(datastore, server) : undefined,
    diskMode: text(backing, "diskMode") ?? "persistent",
    split: flag("split"),
    writeThrough: flag("writeThrough"),
    thinProvisioned: flag("thinProvisioned"),
    eagerlyScrub: flag("eagerlyScrub"),
    digestEnabled: flag("digestEnabled"),
    sharing: text(backing, "sharing"),
  };
}

function required(device: XmlNode, name: string): string {
  const value = text(device, name);
  if (value === undefined) {
    throw new SnapferryError(
      "vsphere-protocol",
      `malformed answer: a virtual disk has no ${name}`,
      "Check that the address points at an ESXi host or a vCenter Server.",
    );
  }
  return value;
}
