/**
 * The VM configuration a restore to vSphere builds from: the record a vSphere backup stored
 * (vsphere-vm.json), or, for restore points of other sources (a disk image, a VMware Workstation
 * folder), a plain one made up here: one LSI Logic controller, a disk per restore-point disk,
 * 1 vCPU and 1 GiB unless a backed-up .vmx says otherwise. Notes say what was made up.
 */
import { formatBytes } from "../../common/size.js";
import type { RestorePoint } from "../../repository/restore-point.js";
import { parseVmx } from "../local/vmx.js";
import { vmConfigRecordOf, type VmConfigRecord, type VmDiskRecord } from "./vm-config-record.js";

export interface RestoreRecord {
  record: VmConfigRecord;
  notes: string[];
}

const MIB = 1024 * 1024;
/** Units per SCSI bus; unit 7 is the controller's own. */
const SCSI_UNITS = 16;
const SCSI_CONTROLLER_UNIT = 7;
const DEFAULTS = { guestId: "otherGuest64", numCPUs: 1, memoryMB: 1024 };

/** .vmx guestOS values whose vSphere guestId does not follow the usual spelling rule. */
const GUEST_IDS: Record<string, string> = {
  other: "otherGuest",
  "other-64": "otherGuest64",
  otherlinux: "otherLinuxGuest",
  "otherlinux-64": "otherLinux64Guest",
  ubuntu: "ubuntuGuest",
  "ubuntu-64": "ubuntu64Guest",
  "other26xlinux-64": "other26xLinux64Guest",
  "other3xlinux-64": "other3xLinux64Guest",
  "other4xlinux-64": "other4xLinux64Guest",
  "other5xlinux-64": "other5xLinux64Guest",
};

export function vmRecordForRestore(rp: RestorePoint): RestoreRecord {
  const what = `restore point ${rp.id.slice(0, 8)}`;
  const stored = vmConfigRecordOf(rp.config, what);
  return stored ? fromStoredRecord(stored, rp) : madeUpRecord(rp);
}

/** The disk capacities are checked against the data: a disk never gets smaller than what is restored into it. */
function fromStoredRecord(record: VmConfigRecord, rp: RestorePoint): RestoreRecord {
  const notes: string[] = [];
  const disks: VmDiskRecord[] = [];
  for (const disk of record.disks) {
    const data = rp.disks.find((d) => d.index === disk.index);
    if (!data) {
      notes.push(`disk ${disk.index} (${disk.file}) has no data in the restore point; it is left out`);
      continue;
    }
    disks.push({ ...disk, capacityBytes: roundUp(Math.max(disk.capacityBytes, data.size), 1024) });
  }
  for (const data of rp.disks) {
    if (!record.disks.some((d) => d.index === data.index)) {
      notes.push(`disk ${data.index} (${data.name}) is not in the VM configuration; it is left out`);
    }
  }
  return { record: { ...record, disks }, notes };
}

function madeUpRecord(rp: RestorePoint): RestoreRecord {
  const vmx = backedUpVmx(rp);
  const notes = [
    `restore point ${rp.id.slice(0, 8)} was not made from vSphere: the VM gets one LSI Logic SCSI controller and a thin disk per backed-up disk`,
  ];
  const guestId = vmx?.guestOS ? guestIdOf(vmx.guestOS) : DEFAULTS.guestId;
  const numCPUs = vmx?.cpus && vmx.cpus > 0 ? vmx.cpus : DEFAULTS.numCPUs;
  const memoryMB = vmx?.memoryMiB && vmx.memoryMiB > 0 ? vmx.memoryMiB : DEFAULTS.memoryMB;
  notes.push(
    vmx
      ? `guest OS ${guestId}, ${numCPUs} vCPU and ${memoryMB} MiB of memory are taken from the backed-up .vmx; check them in the vSphere Client`
      : `the VM gets guest OS ${guestId}, ${numCPUs} vCPU and ${memoryMB} MiB of memory; adjust them in the vSphere Client`,
  );
  const disks = rp.disks.map((disk, i): VmDiskRecord => {
    const capacityBytes = roundUp(Math.max(disk.size, MIB), MIB);
    if (capacityBytes !== disk.size) {
      notes.push(
        `disk ${disk.index} (${formatBytes(disk.size)}) gets a capacity of ${formatBytes(capacityBytes)}, a whole number of MiB; the rest is zeros`,
      );
    }
    return {
      index: disk.index,
      deviceKey: 2000 + i,
      capacityBytes,
      controllerKey: 1000 + Math.floor(i / (SCSI_UNITS - 1)),
      controllerType: "lsilogic",
      busNumber: Math.floor(i / (SCSI_UNITS - 1)),
      unitNumber: scsiUnit(i % (SCSI_UNITS - 1)),
      thin: true,
      file: disk.name,
    };
  });
  const record: VmConfigRecord = {
    version: 1,
    name: rp.source.vm?.name ?? disksName(rp),
    instanceUuid: rp.source.vm?.uuid ?? "",
    guestId,
    numCPUs,
    memoryMB,
    firmware: vmx?.firmware === "efi" ? "efi" : "bios",
    disks,
    nics: [],
  };
  return { record, notes };
}

function backedUpVmx(rp: RestorePoint): ReturnType<typeof parseVmx> | undefined {
  const name = Object.keys(rp.config).find((n) => n.toLowerCase().endsWith(".vmx"));
  const encoded = name ? rp.config[name] : undefined;
  if (!name || encoded === undefined) return undefined;
  try {
    return parseVmx(Buffer.from(encoded, "base64"), name);
  } catch {
    // A .vmx that cannot be read only costs the defaults; the disks are what matters.
    return undefined;
  }
}

/** "windows9-64" → "windows9_64Guest", "rhel8-64" → "rhel8_64Guest", "ubuntu-64" → "ubuntu64Guest". */
export function guestIdOf(vmxGuestOs: string): string {
  const key = vmxGuestOs.trim().toLowerCase();
  const known = GUEST_IDS[key];
  if (known) return known;
  if (!/^[a-z0-9-]+$/.test(key)) return DEFAULTS.guestId;
  return key.endsWith("-64") ? `${key.slice(0, -3)}_64Guest` : `${key}Guest`;
}

function scsiUnit(position: number): number {
  return position >= SCSI_CONTROLLER_UNIT ? position + 1 : position;
}

function roundUp(value: number, multiple: number): number {
  return Math.ceil(value / multiple) * multiple;
}

function disksName(rp: RestorePoint): string {
  return rp.disks[0]?.name ?? rp.source.location;
}
