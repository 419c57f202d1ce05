/**
 * A VM's virtual hardware as a backup needs it, read from `config.hardware.device` (of the VM or of
 * a snapshot): each disk with its file, capacity, controller and CBT change id, and each NIC with
 * its network. Controllers are resolved from the same device list, so a disk says "pvscsi bus 1,
 * unit 3" rather than a bare controller key.
 */
import { SnapferryError } from "../../common/errors.js";
import { children, text, type XmlNode } from "./soap-xml.js";
import type { ControllerType } from "./vm-config-record.js";

export interface VmDisk {
  deviceKey: number;
  /** The label the vSphere Client shows ("Hard disk 1"). */
  label: string;
  capacityBytes: number;
  /** "[datastore] folder/disk.vmdk": the descriptor. */
  file: string;
  thin: boolean;
  /** persistent, independent_persistent, ... */
  diskMode: string;
  /** CBT's change id of the disk in this state; undefined while CBT is off. */
  changeId: string | undefined;
  controllerKey: number;
  /** Undefined for a controller type Snapferry does not know; `controllerXsiType` says which. */
  controllerType: ControllerType | undefined;
  controllerXsiType: string;
  busNumber: number;
  unitNumber: number;
}

export interface VmNic {
  adapterType: string;
  /** A standard network's name. */
  network: string | undefined;
  /** A distributed port group's key, resolved to its name by the caller. */
  portgroupKey: string | undefined;
}

const CONTROLLERS: Record<string, ControllerType> = {
  VirtualLsiLogicController: "lsilogic",
  VirtualLsiLogicSASController: "lsilogic-sas",
  ParaVirtualSCSIController: "pvscsi",
  VirtualBusLogicController: "buslogic",
  VirtualIDEController: "ide",
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualNVMEController: "nvme",
};

const NIC_TYPES: Record<string, string> = {
  VirtualE1000: "e1000",
  VirtualE1000e: "e1000e",
  VirtualVmxnet: "vmxnet",
  VirtualVmxnet2: "vmxnet2",
  VirtualVmxnet3: "vmxnet3",
  VirtualVmxnet3Vrdma: "vmxnet3vrdma",
  VirtualPCNet32: "pcnet32",
  VirtualSriovEthernetCard: "sriov",
};

function devices(list: XmlNode | undefined): XmlNode[] {
  return children(list, "VirtualDevice");
}

function integer(node: XmlNode | undefined, name: string, fallback?: number): number {
  const raw = text(node, name);
  const value = raw === undefined ? fallback : Number(raw);
  if (value === undefined || !Number.isSafeInteger(value)) {
    throw new SnapferryError(
      "vsphere-protocol",
      `malformed answer: a virtual device has no valid ${name}`,
      "Check that the address points at an ESXi host or a vCenter Server.",
    );
  }
  return value;
}

function diskCapacity(device: XmlNode): number {
  const bytes = Number(text(device, "capacityInBytes") ?? "0");
  // Older servers fill only capacityInKB.
  return bytes > 0 ? bytes : integer(device, "capacityInKB") * 1024;
}

/** Every virtual disk, in device order, with its controller resolved. */
export function parseDisks(deviceList: XmlNode | undefined, vm: string): VmDisk[] {
  const all = devices(deviceList);
  const controllers = new Map(all.map((d) => [integer(d, "key"), d]));
  return all
    .filter((d) => d.xsiType === "VirtualDisk")
    .map((device) => {
      const key = integer(device, "key");
      const backing = children(device, "backing")[0];
      if (!backing || backing.xsiType !== "VirtualDiskFlatVer2BackingInfo") {
        throw new SnapferryError(
          "source",
          `disk ${key} of VM ${vm} is backed by ${backing?.xsiType ?? "nothing"}, which Snapferry cannot back up yet`,
          "Snapferry backs up VMDK disks on datastores; raw device mappings in physical mode and other backings are not supported.",
        );
      }
      const controllerKey = integer(device, "controllerKey", 0);
      const controller = controllers.get(controllerKey);
      const controllerXsiType = controller?.xsiType ?? "none";
      return {
        deviceKey: key,
        label: text(children(device, "deviceInfo")[0], "label") ?? `disk ${key}`,
        capacityBytes: diskCapacity(device),
        file: text(backing, "fileName") ?? "",
        thin: text(backing, "thinProvisioned") === "true",
        diskMode: text(backing, "diskMode") ?? "persistent",
        changeId: text(backing, "changeId") || undefined,
        controllerKey,
        controllerType: CONTROLLERS[controllerXsiType],
        controllerXsiType,
        busNumber: controller ? integer(controller, "busNumber", 0) : 0,
        unitNumber: integer(device, "unitNumber", 0),
      };
    });
}

/** Independent disks are left out of snapshots, so their data cannot be read consistently. */
export function isIndependent(disk: VmDisk): boolean {
  return disk.diskMode.startsWith("independent");
}

/** Every network adapter, in device order. */
export function parseNics(deviceList: XmlNode | undefined): VmNic[] {
  return devices(deviceList)
    .filter((d) => d.xsiType !== undefined && NIC_TYPES[d.xsiType] !== undefined)
    .map((device) => {
      const backing = children(device, "backing")[0];
      const port = children(backing, "port")[0];
      return {
        adapterType: NIC_TYPES[device.xsiType ?? ""] ?? "e1000",
        network: text(backing, "deviceName") || undefined,
        portgroupKey: text(port, "portgroupKey") || undefined,
      };
    });
}
