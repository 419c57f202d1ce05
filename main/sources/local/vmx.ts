/**
 * What Snapferry needs from a VMware .vmx file: the VM's identity and hardware, and the virtual
 * disks attached to its SCSI, SATA, NVMe and IDE controllers.
 */
import { parseVmxDictionary, type VmxDictionary } from "./vmx-dictionary.js";

export type DiskBus = "scsi" | "sata" | "nvme" | "ide";

/** Buses in the order disks are listed; a backup's disk index follows this order. */
const BUS_ORDER: readonly DiskBus[] = ["scsi", "sata", "nvme", "ide"];

export interface VmxDisk {
  bus: DiskBus;
  /** e.g. "scsi0". */
  controller: string;
  /** e.g. "scsi0:1", as VMware names the device. */
  slot: string;
  /** The disk's current file (the newest delta when the VM has snapshots), as the .vmx spells it. */
  fileName: string;
  /** "persistent" unless the .vmx says otherwise (independent-persistent, …). */
  mode: string;
  /** The controller model: lsilogic, pvscsi, lsisas1068, buslogic, ahci, nvme, ide. */
  controllerType: string | undefined;
}

/** A device that names a file but is not backed up, and why, so nothing is left out silently. */
export interface VmxSkippedDevice {
  slot: string;
  fileName: string;
  reason: string;
}

export interface VmxConfig {
  dictionary: VmxDictionary;
  name: string | undefined;
  /** The SMBIOS UUID (uuid.bios), as 8-4-4-4-12 hex. */
  biosUuid: string | undefined;
  /** The vCenter instance UUID (vc.uuid), as 8-4-4-4-12 hex. */
  vcUuid: string | undefined;
  guestOS: string | undefined;
  memoryMiB: number | undefined;
  cpus: number | undefined;
  hwVersion: number | undefined;
  firmware: string;
  /** Files the .vmx points at, as it spells them. */
  nvramFile: string | undefined;
  extendedConfigFile: string | undefined;
  disks: VmxDisk[];
  skipped: VmxSkippedDevice[];
}

/** VMware writes UUIDs as "56 4d 12 … 9a-bc de …"; this gives the usual 8-4-4-4-12 form. */
export function normalizeVmwareUuid(raw: string | undefined): string | undefined {
  if (raw === undefined) return undefined;
  const hex = raw.replace(/[\s-]/g, "").toLowerCase();
  if (!/^[0-9a-f]{32}$/.test(hex)) return undefined;
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

const DEFAULT_CONTROLLER: Record<DiskBus, string | undefined> = {
  scsi: undefined,
  sata: "ahci",
  nvme: "nvme",
  ide: "ide",
};

/** Why a present device with a file is not a virtual disk to back up, or undefined if it is one. */
function notADiskReason(deviceType: string | undefined, fileName: string): string | undefined {
  const type = deviceType?.toLowerCase();
  if (type === undefined) {
    return /\.vmdk$/i.test(fileName) ? undefined : "not a virtual disk (no deviceType, not a .vmdk)";
  }
  if (type.includes("cdrom") || type.includes("floppy")) return `a removable drive (${deviceType})`;
  if (type.includes("raw") || type.includes("passthru")) {
    return `a physical disk or pass-through device (${deviceType}); back the device up as its own source`;
  }
  if (type.includes("disk")) return undefined;
  return `not a virtual disk (deviceType ${deviceType})`;
}

function byBusControllerUnit(a: VmxDisk, b: VmxDisk): number {
  const key = (d: VmxDisk): number[] => {
    const m = /(\d+):(\d+)$/.exec(d.slot);
    return [BUS_ORDER.indexOf(d.bus), Number(m?.[1] ?? 0), Number(m?.[2] ?? 0)];
  };
  const ka = key(a);
  const kb = key(b);
  for (let i = 0; i < ka.length; i++) {
    const diff = (ka[i] ?? 0) - (kb[i] ?? 0);
    if (diff !== 0) return diff;
  }
  return 0;
}

function readDevices(dict: VmxDictionary): { disks: VmxDisk[]; skipped: VmxSkippedDevice[] } {
  const disks: VmxDisk[] = [];
  const skipped: VmxSkippedDevice[] = [];
  for (const key of dict.keys()) {
    const m = /^(scsi|sata|nvme|ide)(\d+):(\d+)\.filename$/.exec(key);
    if (!m) continue;
    const bus = m[1] as DiskBus;
    const controller = `${bus}${m[2] ?? ""}`;
    const slot = `${controller}:${m[3] ?? ""}`;
    const fileName = dict.get(key) ?? "";
    // VMware ignores a device whose controller is switched off, and one not marked present.
    const present = dict.bool(`${controller}.present`) !== false && dict.bool(`${slot}.present`) === true;
    const reason = present
      ? notADiskReason(dict.get(`${slot}.deviceType`), fileName)
      : "not present (switched off in the VM's settings)";
    if (reason !== undefined || fileName.trim() === "") {
      skipped.push({ slot, fileName, reason: reason ?? "no file name" });
      continue;
    }
    disks.push({
      bus,
      controller,
      slot,
      fileName,
      mode: dict.get(`${slot}.mode`)?.toLowerCase() ?? "persistent",
      controllerType: dict.get(`${controller}.virtualDev`)?.toLowerCase() ?? DEFAULT_CONTROLLER[bus],
    });
  }
  disks.sort(byBusControllerUnit);
  return { disks, skipped };
}

export function parseVmx(data: Buffer | string, what: string): VmxConfig {
  const dict = parseVmxDictionary(data, what);
  const { disks, skipped } = readDevices(dict);
  return {
    dictionary: dict,
    name: dict.get("displayName"),
    biosUuid: normalizeVmwareUuid(dict.get("uuid.bios")),
    vcUuid: normalizeVmwareUuid(dict.get("vc.uuid")),
    guestOS: dict.get("guestOS"),
    memoryMiB: dict.int("memsize"),
    cpus: dict.int("numvcpus"),
    hwVersion: dict.int("virtualHW.version"),
    firmware: dict.get("firmware")?.toLowerCase() ?? "bios",
    nvramFile: dict.get("nvram"),
    extendedConfigFile: dict.get("extendedConfigFile"),
    disks,
    skipped,
  };
}
