/**
 * What Snapferry needs from a libvirt domain XML (virsh dumpxml, or /etc/libvirt/qemu/NAME.xml):
 * the VM's name, UUID, memory and CPUs, its UEFI variable store, and its disks.
 */
import path from "node:path";
import { SnapferryError } from "../../common/errors.js";
import { childElement, childElements, childText, parseXml, type XmlElement } from "./xml.js";

export interface LibvirtDisk {
  /** The guest's device name: vda, sdb, hdc… */
  target: string;
  /** virtio, sata, scsi, ide, usb… */
  bus: string | undefined;
  /** Absolute path of the image file. */
  file: string;
  /** The format libvirt opens it as (<driver type=…>): qcow2, raw, vmdk… */
  driverType: string | undefined;
  readOnly: boolean;
}

/** A disk the domain has that a file-based backup cannot read, or a device it does not back up. */
export interface LibvirtOtherDevice {
  target: string;
  device: string;
  reason: string;
}

export interface LibvirtDomain {
  name: string;
  uuid: string | undefined;
  memoryBytes: number | undefined;
  vcpus: number | undefined;
  /** The per-VM UEFI variable store, absolute. */
  nvram: string | undefined;
  disks: LibvirtDisk[];
  /** Disks (device disk or lun) that cannot be read as image files: refused by the source. */
  unreadable: LibvirtOtherDevice[];
  /** CD-ROMs and floppies: not backed up. */
  skipped: LibvirtOtherDevice[];
  /** True for a live status file (<domstatus>), which libvirt keeps only while the VM runs. */
  liveStatus: boolean;
}

/** libvirt's memory units: "KB" is 1000 bytes, "k" and "KiB" are 1024. */
const UNITS: Record<string, number> = {
  b: 1,
  bytes: 1,
  kb: 1e3,
  k: 1024,
  kib: 1024,
  mb: 1e6,
  m: 1024 ** 2,
  mib: 1024 ** 2,
  gb: 1e9,
  g: 1024 ** 3,
  gib: 1024 ** 3,
  tb: 1e12,
  t: 1024 ** 4,
  tib: 1024 ** 4,
};

function memoryBytes(element: XmlElement | undefined): number | undefined {
  if (!element) return undefined;
  const value = element.text.trim();
  const unit = UNITS[(element.attributes.unit ?? "KiB").toLowerCase()];
  if (!/^\d+$/.test(value) || unit === undefined) return undefined;
  return Number(value) * unit;
}

function positiveInt(text: string | undefined): number | undefined {
  return text !== undefined && /^\d+$/.test(text) ? Number(text) : undefined;
}

function readDisk(
  disk: XmlElement,
  baseDir: string,
): { disk?: LibvirtDisk; unreadable?: LibvirtOtherDevice; skipped?: LibvirtOtherDevice } {
  const target = childElement(disk, "target");
  const dev = target?.attributes.dev ?? "?";
  const device = disk.attributes.device ?? "disk";
  const type = disk.attributes.type ?? "file";
  const source = childElement(disk, "source");
  if (device === "cdrom" || device === "floppy") {
    return { skipped: { target: dev, device, reason: `a ${device} drive` } };
  }
  if (type !== "file") {
    const where = source?.attributes.dev ?? source?.attributes.name ?? source?.attributes.volume ?? type;
    const reason =
      type === "block"
        ? `the block device ${where}: back it up as its own source (snapferry backup ${where})`
        : `a ${type} disk (${where}): only image files can be read`;
    return { unreadable: { target: dev, device, reason } };
  }
  const file = source?.attributes.file;
  if (file === undefined || file === "") {
    return { unreadable: { target: dev, device, reason: "it has no <source file=…>" } };
  }
  return {
    disk: {
      target: dev,
      bus: target?.attributes.bus,
      file: path.resolve(baseDir, file),
      driverType: childElement(disk, "driver")?.attributes.type?.toLowerCase(),
      readOnly: childElement(disk, "readonly") !== undefined,
    },
  };
}

/** Parses domain XML; `xmlPath` names the file in errors and anchors relative paths. */
export function parseLibvirtDomain(xml: string, xmlPath: string): LibvirtDomain {
  const root = parseXml(xml, xmlPath);
  const liveStatus = root.name === "domstatus";
  const domain = liveStatus ? childElement(root, "domain") : root;
  const name = domain ? childText(domain, "name") : undefined;
  if (domain?.name !== "domain" || !name) {
    throw new SnapferryError(
      "source",
      `${xmlPath} is not a libvirt domain definition (no <domain> with a <name>)`,
      "Give the VM's XML, as `virsh dumpxml NAME > NAME.xml` writes it.",
    );
  }
  const baseDir = path.dirname(path.resolve(xmlPath));
  const result: LibvirtDomain = {
    name,
    uuid: childText(domain, "uuid")?.toLowerCase(),
    memoryBytes: memoryBytes(childElement(domain, "memory")),
    vcpus: positiveInt(childText(domain, "vcpu")),
    nvram: undefined,
    disks: [],
    unreadable: [],
    skipped: [],
    liveStatus,
  };
  const os = childElement(domain, "os");
  const nvramElement = os ? childElement(os, "nvram") : undefined;
  // libvirt 8.5 and later may write the path as <nvram><source file=…/></nvram>.
  const nvram = nvramElement
    ? (childElement(nvramElement, "source")?.attributes.file ?? nvramElement.text.trim())
    : undefined;
  if (nvram) result.nvram = path.resolve(baseDir, nvram);
  const devices = childElement(domain, "devices");
  for (const element of devices ? childElements(devices, "disk") : []) {
    const { disk, unreadable, skipped } = readDisk(element, baseDir);
    if (disk) result.disks.push(disk);
    if (unreadable) result.unreadable.push(unreadable);
    if (skipped) result.skipped.push(skipped);
  }
  return result;
}
