/**
 * The text descriptor of a VMDK we write (VMware Virtual Disk Format 1.1, "The Descriptor File"):
 * embedded in a sparse extent, or a file of its own next to a flat extent. It carries what
 * VMware products read to attach the disk: its type, its extents, the adapter it was made for
 * and a BIOS geometry computed the way VMware computes it for that adapter.
 */
import { randomBytes } from "node:crypto";
import { SnapferryError } from "../../common/errors.js";

/** The adapter types VMware accepts in ddb.adapterType. */
export type VmdkAdapterType = "ide" | "buslogic" | "lsilogic" | "legacyESX";

export interface VmdkOptions {
  /** Default "lsilogic": what ESXi and Workstation pick for most guests. */
  adapterType?: VmdkAdapterType;
  /**
   * Default 4, the oldest virtual hardware that reads these disks, so that any VMware product
   * accepts them; the VM's own hardware version is set in its .vmx, not here.
   */
  virtualHWVersion?: number;
  /**
   * For "vmdk-flat": "vmfs" (default) describes a disk for an ESXi datastore; "monolithicFlat"
   * one for Workstation, Fusion or Player. The data file is the same.
   */
  flatVariant?: "vmfs" | "monolithicFlat";
}

export type VmdkCreateType = "monolithicSparse" | "streamOptimized" | "vmfs" | "monolithicFlat";

export interface VmdkExtent {
  sectors: number;
  /** SPARSE for a hosted sparse extent, VMFS or FLAT for a flat one. */
  type: "SPARSE" | "VMFS" | "FLAT";
  /** The extent's file name, relative to the descriptor's folder. */
  file: string;
}

export interface Geometry {
  cylinders: number;
  heads: number;
  sectors: number;
}

const SECTORS_PER_GIB = (1024 * 1024 * 1024) / 512;

/**
 * IDE disks get the ATA limit of 16 heads × 63 sectors (cylinders capped at 16383). SCSI disks
 * get the BIOS translation VMware uses: 64 × 32 below 1 GiB, 128 × 32 below 2 GiB, 255 × 63
 * above, with uncapped cylinders.
 */
export function vmdkGeometry(capacitySectors: number, adapter: VmdkAdapterType): Geometry {
  if (adapter === "ide") {
    const cylinders = Math.min(16383, Math.floor(capacitySectors / (16 * 63)));
    return { cylinders: Math.max(1, cylinders), heads: 16, sectors: 63 };
  }
  const [heads, sectors] =
    capacitySectors < SECTORS_PER_GIB
      ? [64, 32]
      : capacitySectors < 2 * SECTORS_PER_GIB
        ? [128, 32]
        : [255, 63];
  return { cylinders: Math.max(1, Math.floor(capacitySectors / (heads * sectors))), heads, sectors };
}

/**
 * A content ID: VMware changes it whenever the disk is written and checks a child's parentCID
 * against it, so a fresh disk gets a random one. ffffffff means "no parent" and is avoided.
 */
export function randomCid(): string {
  for (;;) {
    const cid = randomBytes(4).toString("hex");
    if (cid !== "ffffffff") return cid;
  }
}

function checkExtentName(name: string): void {
  if (/["\r\n]/.test(name)) {
    throw new SnapferryError(
      "target",
      `the VMDK extent name ${JSON.stringify(name)} cannot be written in a descriptor`,
      'Choose a file name without double quotes (") or line breaks.',
    );
  }
}

export function vmdkDescriptor(createType: VmdkCreateType, extent: VmdkExtent, options: VmdkOptions): string {
  checkExtentName(extent.file);
  const adapter = options.adapterType ?? "lsilogic";
  const geometry = vmdkGeometry(extent.sectors, adapter);
  // A flat extent names its starting sector in the file; a sparse extent does not.
  const extentOffset = extent.type === "FLAT" ? " 0" : "";
  const lines = [
    "# Disk DescriptorFile",
    "version=1",
    'encoding="UTF-8"',
    `CID=${randomCid()}`,
    "parentCID=ffffffff",
    ...(createType === "vmfs" ? ['isNativeSnapshot="no"'] : []),
    `createType="${createType}"`,
    "",
    "# Extent description",
    `RW ${extent.sectors} ${extent.type} "${extent.file}"${extentOffset}`,
    "",
    "# The Disk Data Base",
    "#DDB",
    "",
    `ddb.adapterType = "${adapter}"`,
    `ddb.geometry.cylinders = "${geometry.cylinders}"`,
    `ddb.geometry.heads = "${geometry.heads}"`,
    `ddb.geometry.sectors = "${geometry.sectors}"`,
    `ddb.virtualHWVersion = "${options.virtualHWVersion ?? 4}"`,
  ];
  return `${lines.join("\n")}\n`;
}
