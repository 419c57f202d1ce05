/**
 * The VM configuration a vSphere backup keeps beside the disks (restore point config
 * "vsphere-vm.json"), so that a restore can build the VM again on any host: hardware, the disks'
 * controllers and slots, and the NICs' networks. The backup writes it; the restore reads it, from
 * repositories that may be years old, so it is versioned and validated field by field.
 */
import { CorruptDataError } from "../../common/errors.js";
import { isControllerType, type ControllerType } from "./disk-controllers.js";

// The names the record stores controllers by; re-exported for code that deals only in records
// (flat-descriptor.ts imports it from here). disk-controllers.ts is its home.
export type { ControllerType } from "./disk-controllers.js";

/** The restore point config entry that holds the record. */
export const VM_CONFIG_FILE = "vsphere-vm.json";

export interface VmDiskRecord {
  /** The restore point's disk index holding this disk's data. */
  index: number;
  deviceKey: number;
  capacityBytes: number;
  controllerKey: number;
  controllerType: ControllerType;
  busNumber: number;
  unitNumber: number;
  thin: boolean;
  /** The disk's file as vSphere names it: "[datastore] folder/disk.vmdk". */
  file: string;
}

export interface VmNicRecord {
  /** The network's (or distributed port group's) name. */
  network: string;
  /** "vmxnet3", "e1000e", "e1000", ... */
  adapterType: string;
}

/** The VM's own settings, as the backup read them (vm-state.ts) and as the record keeps them. */
export interface VmSettings {
  name: string;
  instanceUuid: string;
  guestId: string;
  numCPUs: number;
  memoryMB: number;
  firmware: "bios" | "efi";
}

export interface VmConfigRecord extends VmSettings {
  version: 1;
  disks: VmDiskRecord[];
  nics: VmNicRecord[];
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function isCount(v: unknown): v is number {
  return typeof v === "number" && Number.isSafeInteger(v) && v >= 0;
}

/** What is wrong with a disk entry, or undefined when it is valid. */
function diskProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return "is not an object";
  for (const field of ["index", "capacityBytes", "busNumber", "unitNumber"] as const) {
    if (!isCount(v[field])) return `has no valid ${field}`;
  }
  // Device keys are negative while a device is being added; recorded ones are any integer.
  for (const field of ["deviceKey", "controllerKey"] as const) {
    if (!Number.isSafeInteger(v[field])) return `has no valid ${field}`;
  }
  if (!isControllerType(v.controllerType)) return `has an unknown controllerType ${String(v.controllerType)}`;
  if (typeof v.thin !== "boolean") return "has no valid thin flag";
  if (typeof v.file !== "string") return "has no file";
  return undefined;
}

function nicProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return "is not an object";
  if (typeof v.network !== "string") return "has no network";
  if (typeof v.adapterType !== "string" || v.adapterType === "") return "has no adapterType";
  return undefined;
}

/** The first problem of a whole record, or undefined. */
function recordProblem(v: unknown): string | undefined {
  if (!isRecord(v)) return "is not a JSON object";
  if (v.version !== 1) return `has version ${String(v.version)}, which this Snapferry does not know`;
  for (const field of ["name", "instanceUuid", "guestId"] as const) {
    if (typeof v[field] !== "string") return `has no ${field}`;
  }
  if (!isCount(v.numCPUs) || v.numCPUs === 0) return "has no valid numCPUs";
  if (!isCount(v.memoryMB) || v.memoryMB === 0) return "has no valid memoryMB";
  if (v.firmware !== "bios" && v.firmware !== "efi") return `has an unknown firmware ${String(v.firmware)}`;
  if (!Array.isArray(v.disks)) return "has no disk list";
  for (const [i, disk] of v.disks.entries()) {
    const problem = diskProblem(disk);
    if (problem) return `disk entry ${i} ${problem}`;
  }
  if (!Array.isArray(v.nics)) return "has no NIC list";
  for (const [i, nic] of v.nics.entries()) {
    const problem = nicProblem(nic);
    if (problem) return `NIC entry ${i} ${problem}`;
  }
  return undefined;
}

/** Checks a decoded record; `what` names it in the error ("restore point 1a2b3c4d"). */
export function validateVmConfigRecord(value: unknown, what: string): VmConfigRecord {
  const problem = recordProblem(value);
  if (problem) {
    throw new CorruptDataError(
      `the VM configuration (${VM_CONFIG_FILE}) of ${what} ${problem}`,
      "The disks can still be restored one by one to files (snapferry restore --target FILE).",
    );
  }
  return value as VmConfigRecord;
}

export function serializeVmConfigRecord(record: VmConfigRecord): Buffer {
  return Buffer.from(JSON.stringify(record, null, 2) + "\n", "utf8");
}

/** Parses the record's bytes (as stored in a restore point's config, decoded from base64). */
export function parseVmConfigRecord(data: Buffer | string, what: string): VmConfigRecord {
  let value: unknown;
  try {
    value = JSON.parse(typeof data === "string" ? data : data.toString("utf8"));
  } catch {
    throw new CorruptDataError(
      `the VM configuration (${VM_CONFIG_FILE}) of ${what} is not valid JSON`,
      "The disks can still be restored one by one to files (snapferry restore --target FILE).",
    );
  }
  return validateVmConfigRecord(value, what);
}

/** The record of a restore point's config map (base64 values), or undefined when it has none. */
export function vmConfigRecordOf(config: Record<string, string>, what: string): VmConfigRecord | undefined {
  const encoded = config[VM_CONFIG_FILE];
  return encoded === undefined ? undefined : parseVmConfigRecord(Buffer.from(encoded, "base64"), what);
}
