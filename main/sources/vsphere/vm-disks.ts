/**
 * A VM's virtual disks, read from its `config.hardware.device` list: which controller each hangs
 * on (the type is resolved from the controller devices in the same list), where its backing file
 * is, how it is provisioned and whether a snapshot covers it at all (independent disks and
 * physical-mode RDMs are never part of a snapshot, so a backup cannot read them consistently).
 */
import { parseMoRef, type MoRef } from "./moref.js";
import { child, children, type XmlNode } from "./soap-xml.js";
import { booleanOf, numberOf, textOf } from "./inventory-values.js";

/** The controller families a restore can recreate (the VM configuration record uses the same names). */
export type DiskControllerType =
  "lsilogic" | "lsilogic-sas" | "pvscsi" | "buslogic" | "ide" | "sata" | "nvme";

export type DiskProvisioning = "thin" | "thick-lazy" | "thick-eager" | "sparse" | "rdm" | "other";

export interface VmDiskController {
  key: number;
  type: DiskControllerType;
  busNumber: number;
}

export interface VmDisk {
  /** The device key: what QueryChangedDiskAreas and a restore's device changes name. */
  key: number;
  label: string;
  controllerKey: number;
  /** Undefined when the disk hangs on a controller this version does not know. */
  controllerType: DiskControllerType | undefined;
  /** The controller's bus number (SCSI 0, SCSI 1, ...). */
  busNumber: number | undefined;
  unitNumber: number | undefined;
  capacityBytes: number;
  /** "[datastore] folder/name.vmdk": the file the VM writes now (a delta while snapshots exist). */
  file: string;
  /** The first file of the chain: the base disk below every snapshot delta. */
  baseFile: string;
  datastore: string | undefined;
  /** The backing's vim type, e.g. VirtualDiskFlatVer2BackingInfo. */
  backingType: string;
  provisioning: DiskProvisioning;
  thin: boolean;
  /** persistent, independent_persistent, ... */
  diskMode: string | undefined;
  /** Left out of snapshots: independent disks and physical-mode RDMs. */
  excludedFromSnapshots: boolean;
  /** The disk's changed-block-tracking id, when CBT is on and the server reports one. */
  changeId: string | undefined;
  /** The backing's own UUID (not the VM's). */
  uuid: string | undefined;
}

/** Resolves a datastore reference to its name; undefined when it is not in the inventory. */
export type DatastoreNamer = (ref: MoRef) => string | undefined;

const CONTROLLER_TYPES: Readonly<Record<string, DiskControllerType>> = {
  VirtualLsiLogicController: "lsilogic",
  VirtualLsiLogicSASController: "lsilogic-sas",
  ParaVirtualSCSIController: "pvscsi",
  VirtualBusLogicController: "buslogic",
  VirtualIDEController: "ide",
  VirtualAHCIController: "sata",
  VirtualSATAController: "sata",
  VirtualNVMEController: "nvme",
};

export function readControllers(devices: readonly XmlNode[]): Map<number, VmDiskController> {
  const controllers = new Map<number, VmDiskController>();
  for (const device of devices) {
    const type = CONTROLLER_TYPES[device.xsiType ?? ""];
    const key = numberOf(device, "key");
    if (type === undefined || key === undefined) continue;
    controllers.set(key, { key, type, busNumber: numberOf(device, "busNumber") ?? 0 });
  }
  return controllers;
}

/** Every VirtualDisk in a device list, in the order the server lists them. */
export function readDisks(
  devices: readonly XmlNode[],
  datastoreName: DatastoreNamer,
  server: string,
): VmDisk[] {
  const controllers = readControllers(devices);
  return devices
    .filter((d) => d.xsiType === "VirtualDisk")
    .map((d) => readDisk(d, controllers, datastoreName, server));
}

function readDisk(
  device: XmlNode,
  controllers: ReadonlyMap<number, VmDiskController>,
  datastoreName: DatastoreNamer,
  server: string,
): VmDisk {
  const backing = child(device, "backing");
  const controllerKey = numberOf(device, "controllerKey") ?? -1;
  const controller = controllers.get(controllerKey);
  const file = textOf(backing, "fileName") ?? "";
  const diskMode = textOf(backing, "diskMode");
  const provisioning = provisioningOf(backing);
  const datastoreRef = child(backing, "datastore");
  return {
    key: numberOf(device, "key") ?? -1,
    label: textOf(child(device, "deviceInfo"), "label") ?? "",
    controllerKey,
    controllerType: controller?.type,
    busNumber: controller?.busNumber,
    unitNumber: numberOf(device, "unitNumber"),
    capacityBytes: capacityOf(device),
    file,
    baseFile: baseFileOf(backing) ?? file,
    datastore: (datastoreRef && datastoreName(parseMoRef(datastoreRef, server))) ?? datastoreOfPath(file),
    backingType: backing?.xsiType ?? "unknown",
    provisioning,
    thin: provisioning === "thin",
    diskMode,
    excludedFromSnapshots:
      (diskMode?.startsWith("independent") ?? false) ||
      textOf(backing, "compatibilityMode") === "physicalMode",
    changeId: textOf(backing, "changeId") || undefined,
    uuid: textOf(backing, "uuid") || undefined,
  };
}

/** capacityInBytes since vSphere 5.5; older servers (and vcsim) only send capacityInKB. */
function capacityOf(device: XmlNode): number {
  const bytes = numberOf(device, "capacityInBytes");
  if (bytes !== undefined && bytes > 0) return bytes;
  return (numberOf(device, "capacityInKB") ?? 0) * 1024;
}

function provisioningOf(backing: XmlNode | undefined): DiskProvisioning {
  switch (backing?.xsiType) {
    case "VirtualDiskFlatVer2BackingInfo":
    case "VirtualDiskFlatVer1BackingInfo":
      if (booleanOf(backing, "thinProvisioned") === true) return "thin";
      return booleanOf(backing, "eagerlyScrub") === true ? "thick-eager" : "thick-lazy";
    case "VirtualDiskSeSparseBackingInfo":
    case "VirtualDiskSparseVer2BackingInfo":
    case "VirtualDiskSparseVer1BackingInfo":
      return "sparse";
    case "VirtualDiskRawDiskMappingVer1BackingInfo":
    case "VirtualDiskRawDiskVer2BackingInfo":
    case "VirtualDiskPartitionedRawDiskVer2BackingInfo":
      return "rdm";
    default:
      return "other";
  }
}

/** Follows backing.parent to the bottom of a snapshot chain (bounded: vSphere allows 32 levels). */
function baseFileOf(backing: XmlNode | undefined): string | undefined {
  let current = backing;
  let base: string | undefined;
  for (let depth = 0; current && depth < 64; depth++) {
    base = textOf(current, "fileName") ?? base;
    current = child(current, "parent");
  }
  return base;
}

/** "[LocalDS_0] vm/disk.vmdk" → "LocalDS_0". */
export function datastoreOfPath(file: string): string | undefined {
  return /^\[([^\]]+)\]/.exec(file)?.[1];
}

/** The elements of an ArrayOfVirtualDevice value. */
export function deviceList(value: XmlNode | undefined): XmlNode[] {
  return children(value, "VirtualDevice");
}
