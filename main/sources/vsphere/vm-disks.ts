/**
 * A VM's virtual disks, read from a `config.hardware.device` list (of the VM or of a snapshot) by
 * the inventory, the backup and the restore alike: which controller each hangs on (resolved from
 * the controller devices in the same list, so a disk says "pvscsi bus 1, unit 3" rather than a
 * bare key), its capacity, where its backing file is, how it is provisioned, its CBT change id,
 * and whether a snapshot covers it at all (independent disks and physical-mode RDMs are never part
 * of a snapshot, so a backup cannot read them consistently).
 */
import { controllerTypeOf, type ControllerType } from "./disk-controllers.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { child, children, type XmlNode } from "./soap-xml.js";
import { booleanOf, numberOf, textOf } from "./vim-values.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

export type DiskProvisioning = "thin" | "thick-lazy" | "thick-eager" | "sparse" | "rdm" | "other";

export interface VmDisk {
  /** The device key: what QueryChangedDiskAreas and a restore's device changes name; -1 when unreadable. */
  key: number;
  /** The label the vSphere Client shows ("Hard disk 1"). */
  label: string;
  controllerKey: number;
  /** Undefined when the disk hangs on a controller this version does not know. */
  controllerType: ControllerType | undefined;
  /** The controller device's vim type, for messages about an unknown one; undefined when there is none. */
  controllerXsiType: string | undefined;
  /** The controller's bus number (SCSI 0, SCSI 1, ...). */
  busNumber: number | undefined;
  unitNumber: number | undefined;
  /** 0 when the server gave no readable capacity (see checkReadable). */
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

interface Controller {
  type: ControllerType | undefined;
  xsiType: string | undefined;
  busNumber: number;
}

/** Every device of the list that a disk may name as its controller, known family or not. */
function readControllers(devices: readonly XmlNode[]): Map<number, Controller> {
  const controllers = new Map<number, Controller>();
  for (const device of devices) {
    const key = numberOf(device, "key");
    if (key === undefined || device.xsiType === "VirtualDisk") continue;
    controllers.set(key, {
      type: controllerTypeOf(device.xsiType),
      xsiType: device.xsiType,
      busNumber: numberOf(device, "busNumber") ?? 0,
    });
  }
  return controllers;
}

export interface DiskReadOptions {
  server: string;
  /** Names a backing's datastore; without it (or when it does not know the datastore) the file path does. */
  datastoreName?: DatastoreNamer;
}

/** Every VirtualDisk in a device list, in the order the server lists them. */
export function readDisks(devices: readonly XmlNode[], options: DiskReadOptions): VmDisk[] {
  const controllers = readControllers(devices);
  return devices.filter((d) => d.xsiType === "VirtualDisk").map((d) => readDisk(d, controllers, options));
}

function readDisk(
  device: XmlNode,
  controllers: ReadonlyMap<number, Controller>,
  { server, datastoreName }: DiskReadOptions,
): VmDisk {
  const backing = child(device, "backing");
  const key = numberOf(device, "key") ?? -1;
  const controllerKey = numberOf(device, "controllerKey") ?? -1;
  const controller = controllers.get(controllerKey);
  const file = textOf(backing, "fileName") ?? "";
  const diskMode = textOf(backing, "diskMode");
  const provisioning = provisioningOf(backing);
  const datastoreRef = child(backing, "datastore");
  return {
    key,
    label: textOf(child(device, "deviceInfo"), "label") || `disk ${key}`,
    controllerKey,
    controllerType: controller?.type,
    controllerXsiType: controller?.xsiType,
    busNumber: controller?.busNumber,
    unitNumber: numberOf(device, "unitNumber"),
    capacityBytes: capacityOf(device),
    file,
    baseFile: baseFileOf(backing) ?? file,
    datastore: (datastoreRef && datastoreName?.(parseMoRef(datastoreRef, server))) ?? datastoreOfPath(file),
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

/**
 * The inventory shows a disk whose key or capacity it could not read as well as it can; a backup or
 * a restore must not guess a size or address a device by a made-up key, so for them it is a
 * malformed answer.
 */
export function checkReadable(disks: readonly VmDisk[], vm: string, server: string): void {
  for (const disk of disks) {
    const missing = disk.key < 0 ? "device key" : disk.capacityBytes <= 0 ? "capacity" : undefined;
    if (missing) {
      throw new VsphereProtocolError(
        `malformed answer from ${server}: ${disk.label} of VM ${vm} has no valid ${missing}`,
      );
    }
  }
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
function datastoreOfPath(file: string): string | undefined {
  return /^\[([^\]]+)\]/.exec(file)?.[1];
}

/** The elements of an ArrayOfVirtualDevice value. */
export function deviceList(value: XmlNode | undefined): XmlNode[] {
  return children(value, "VirtualDevice");
}
