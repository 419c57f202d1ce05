/**
 * The descriptor of a flat disk Snapferry writes onto a datastore beside its data file, so that
 * ESXi can attach the pair: createType "vmfs" with one VMFS extent, which is what ESXi itself
 * writes for thin, thick and eager-zeroed disks on VMFS and NFS datastores alike ("monolithicFlat"
 * is the hosted products' spelling of the same pair). The disk's identity (its UUID, the adapter and
 * the virtual hardware version it was made for) is carried over from the disk it replaces, so the
 * guest sees the same disk; the content id is new, and no change-tracking file is named, so ESXi
 * starts CBT afresh instead of trusting a bitmap that describes other data.
 */
import { SnapferryError } from "../../common/errors.js";
import type { VmdkDescriptor } from "../../formats/vmdk/descriptor.js";
import { vmdkDescriptor, type VmdkAdapterType } from "../../formats/vmdk/writer-descriptor.js";
import type { ControllerType } from "./vm-config-record.js";

export interface FlatDescriptorOptions {
  /** The data file's name, in the descriptor's own folder. */
  flatFileName: string;
  capacityBytes: number;
  controllerType: ControllerType | undefined;
  thin: boolean;
  /** The descriptor of the disk being replaced, when it could be read (vcsim's are empty). */
  previous?: VmdkDescriptor;
  /** The disk backing's UUID as vSphere reports it ("6000C29b-513a-..."), used when `previous` has none. */
  backingUuid?: string;
}

const SECTOR = 512;
const ADAPTERS: ReadonlySet<string> = new Set<VmdkAdapterType>(["ide", "buslogic", "lsilogic", "legacyESX"]);
const DEFAULT_HW_VERSION = 4;

export function flatDiskDescriptor(options: FlatDescriptorOptions): string {
  if (options.capacityBytes <= 0 || options.capacityBytes % SECTOR !== 0) {
    throw new SnapferryError(
      "internal",
      `a flat disk descriptor needs a capacity in whole sectors, not ${options.capacityBytes} bytes`,
    );
  }
  const text = vmdkDescriptor(
    "vmfs",
    { sectors: options.capacityBytes / SECTOR, type: "VMFS", file: options.flatFileName },
    { adapterType: adapterOf(options), virtualHWVersion: hardwareVersionOf(options.previous) },
  );
  const uuid = previousUuid(options.previous) ?? ddbUuid(options.backingUuid);
  const extra = [
    ...(options.thin ? ['ddb.thinProvisioned = "1"'] : []),
    ...(uuid ? [`ddb.uuid = "${uuid}"`] : []),
  ];
  return text + extra.map((line) => `${line}\n`).join("");
}

function adapterOf(options: FlatDescriptorOptions): VmdkAdapterType {
  const previous = options.previous?.adapterType;
  if (previous !== undefined && ADAPTERS.has(previous)) return previous as VmdkAdapterType;
  if (options.controllerType === "ide") return "ide";
  if (options.controllerType === "buslogic") return "buslogic";
  // ESXi writes lsilogic for every other SCSI, SATA and NVMe disk: the guest sees the controller, not this.
  return "lsilogic";
}

function hardwareVersionOf(previous: VmdkDescriptor | undefined): number {
  const version = Number(previous?.ddb.get("ddb.virtualhwversion"));
  return Number.isSafeInteger(version) && version >= 3 && version < 100 ? version : DEFAULT_HW_VERSION;
}

/** Only a well-formed one is copied: the value goes inside quotes in the new descriptor. */
function previousUuid(previous: VmdkDescriptor | undefined): string | undefined {
  const uuid = previous?.ddb.get("ddb.uuid")?.trim();
  return uuid && /^[0-9a-fA-F]{2}( [0-9a-fA-F]{2}){7}-[0-9a-fA-F]{2}( [0-9a-fA-F]{2}){7}$/.test(uuid)
    ? uuid
    : undefined;
}

/** "6000C29b-513a-2f5d-3e65-5e0a6d6d1a0b" → "60 00 C2 9b 51 3a 2f 5d-3e 65 5e 0a 6d 6d 1a 0b". */
export function ddbUuid(backingUuid: string | undefined): string | undefined {
  const hex = backingUuid?.replace(/-/g, "");
  if (!hex || !/^[0-9a-fA-F]{32}$/.test(hex)) return undefined;
  const pairs = hex.match(/../g) ?? [];
  return `${pairs.slice(0, 8).join(" ")}-${pairs.slice(8).join(" ")}`;
}
