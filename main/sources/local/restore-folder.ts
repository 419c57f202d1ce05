/**
 * The .vmx of a VM restored into a VMware Workstation or Fusion folder. It keeps what the guest
 * depends on from the backed-up .vmx (guest OS, memory, CPUs, hardware version, firmware, each
 * disk's controller model) and nothing that ties it to the original machine: it gets a new BIOS
 * UUID and new MAC addresses unless asked to keep the UUID, so the original and the restored copy
 * can run side by side.
 */
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import path from "node:path";
import { DiskFullError, errnoCode, SnapferryError } from "../../common/errors.js";
import { fsyncDirectory, temporaryName } from "../../repository/durable-fs.js";
import { formatVmxLine } from "./vmx-dictionary.js";
import { parseVmx, type VmxConfig } from "./vmx.js";

export interface RestoredVmDisk {
  /** The restored VMDK's file name (or path), as the .vmx will name it. */
  fileName: string;
  /** The disk's slot in the backed-up VM ("sata0:1"); without it, the next free SCSI slot. */
  slot?: string;
}

export interface VmxRestoreOptions {
  name: string;
  disks: RestoredVmDisk[];
  /** The backed-up .vmx, when the restore point has one. */
  originalVmx?: Buffer | string;
  /** Keep uuid.bios and vc.uuid: for replacing the original VM, which software may know by them. */
  keepUuid?: boolean;
  /** The restored NVRAM file's name, when one was restored beside the .vmx. */
  nvramFileName?: string;
  annotation?: string;
}

/** Defaults for a VM without a backed-up .vmx: hardware version 16 opens on Workstation 15.5+. */
const DEFAULTS = { guestOS: "other-64", memoryMiB: 2048, cpus: 2, hwVersion: 16 };
const SLOT = /^(scsi|sata|nvme|ide)(\d+):(\d+)$/;
/** Unit 7 of a SCSI bus is the controller itself. */
const SCSI_CONTROLLER_UNIT = 7;
const SCSI_UNITS = 16;

/** The slot of each disk of a backup of a VMware folder, by disk index (the source's disk order). */
export function backedUpDiskSlots(originalVmx: Buffer | string): string[] {
  return parseVmx(originalVmx, "the backed-up .vmx").disks.map((d) => d.slot);
}

/** uuid.bios as VMware writes it: "56 4d xx … xx-xx … xx", 56 4d ("VM") first as VMware does. */
export function newBiosUuid(): string {
  const bytes = randomBytes(16);
  bytes[0] = 0x56;
  bytes[1] = 0x4d;
  const hex = [...bytes].map((b) => b.toString(16).padStart(2, "0"));
  return `${hex.slice(0, 8).join(" ")}-${hex.slice(8).join(" ")}`;
}

function assignSlots(disks: RestoredVmDisk[]): string[] {
  const used = new Set<string>();
  for (const disk of disks) {
    if (disk.slot === undefined) continue;
    if (!SLOT.test(disk.slot) || used.has(disk.slot)) {
      throw new SnapferryError("usage", `disk slot ${disk.slot} is invalid or given twice`);
    }
    used.add(disk.slot);
  }
  let next = 0;
  return disks.map((disk) => {
    if (disk.slot !== undefined) return disk.slot;
    for (; ; next++) {
      const unit = next % SCSI_UNITS;
      const slot = `scsi${Math.floor(next / SCSI_UNITS)}:${unit}`;
      if (unit !== SCSI_CONTROLLER_UNIT && !used.has(slot)) {
        used.add(slot);
        return slot;
      }
    }
  });
}

function hardwareLines(original: VmxConfig | undefined): [string, string][] {
  const dict = original?.dictionary;
  const hwVersion = original?.hwVersion ?? DEFAULTS.hwVersion;
  const lines: [string, string][] = [
    [".encoding", "UTF-8"],
    ["config.version", "8"],
    ["virtualHW.version", String(hwVersion)],
    ["guestOS", original?.guestOS ?? DEFAULTS.guestOS],
    ["memsize", String(original?.memoryMiB ?? DEFAULTS.memoryMiB)],
    ["numvcpus", String(original?.cpus ?? DEFAULTS.cpus)],
  ];
  const coresPerSocket = dict?.get("cpuid.coresPerSocket");
  if (coresPerSocket !== undefined) lines.push(["cpuid.coresPerSocket", coresPerSocket]);
  if (original?.firmware === "efi") {
    lines.push(["firmware", "efi"]);
    const secureBoot = dict?.get("uefi.secureBoot.enabled");
    if (secureBoot !== undefined) lines.push(["uefi.secureBoot.enabled", secureBoot]);
  }
  if (hwVersion >= 7) {
    // The PCIe root ports that NVMe, PVSCSI and vmxnet3 devices sit behind.
    lines.push(["pciBridge0.present", "TRUE"]);
    for (const port of [4, 5, 6, 7]) {
      lines.push([`pciBridge${port}.present`, "TRUE"]);
      lines.push([`pciBridge${port}.virtualDev`, "pcieRootPort"]);
      lines.push([`pciBridge${port}.functions`, "8"]);
    }
  }
  lines.push(["vmci0.present", "TRUE"], ["hpet0.present", "TRUE"], ["floppy0.present", "FALSE"]);
  return lines;
}

function diskLines(disks: RestoredVmDisk[], original: VmxConfig | undefined): [string, string][] {
  const slots = assignSlots(disks);
  const lines: [string, string][] = [];
  const controllers = new Set<string>();
  slots.forEach((slot, i) => {
    const controller = slot.slice(0, slot.indexOf(":"));
    const before = original?.disks.find((d) => d.slot === slot);
    if (!controllers.has(controller)) {
      controllers.add(controller);
      if (!controller.startsWith("ide")) lines.push([`${controller}.present`, "TRUE"]);
      if (controller.startsWith("scsi")) {
        lines.push([`${controller}.virtualDev`, before?.controllerType ?? "lsilogic"]);
      }
    }
    lines.push([`${slot}.present`, "TRUE"]);
    lines.push([`${slot}.fileName`, disks[i]?.fileName ?? ""]);
    if (before && before.mode !== "persistent") lines.push([`${slot}.mode`, before.mode]);
  });
  return lines;
}

/** Network cards as they were, but with new MAC addresses: the original may still be on the LAN. */
function networkLines(original: VmxConfig | undefined): [string, string][] {
  const dict = original?.dictionary;
  if (!dict) return [];
  const lines: [string, string][] = [];
  const cards = [...dict.keys()].flatMap((k) => /^(ethernet\d+)\.present$/.exec(k)?.[1] ?? []).sort();
  for (const card of cards) {
    if (dict.bool(`${card}.present`) !== true) continue;
    lines.push([`${card}.present`, "TRUE"]);
    for (const key of ["virtualDev", "connectionType", "vnet", "startConnected"]) {
      const value = dict.get(`${card}.${key}`);
      if (value !== undefined) lines.push([`${card}.${key}`, value]);
    }
    lines.push([`${card}.addressType`, "generated"]);
  }
  return lines;
}

export function buildVmwareVmx(options: VmxRestoreOptions): string {
  const original =
    options.originalVmx === undefined ? undefined : parseVmx(options.originalVmx, "the backed-up .vmx");
  const keep = options.keepUuid === true;
  const lines: [string, string][] = [
    ...hardwareLines(original),
    ["displayName", options.name],
    ["uuid.bios", keep ? (original?.dictionary.get("uuid.bios") ?? newBiosUuid()) : newBiosUuid()],
  ];
  const vcUuid = original?.dictionary.get("vc.uuid");
  if (keep && vcUuid !== undefined) lines.push(["vc.uuid", vcUuid]);
  if (options.nvramFileName !== undefined) lines.push(["nvram", options.nvramFileName]);
  if (options.annotation !== undefined) lines.push(["annotation", options.annotation]);
  lines.push(...diskLines(options.disks, original), ...networkLines(original));
  return `${lines.map(([k, v]) => formatVmxLine(k, v)).join("\n")}\n`;
}

/** Moves `tmpPath` to `finalPath` unless that exists (EEXIST then). */
async function publishWithoutReplacing(tmpPath: string, finalPath: string): Promise<void> {
  try {
    // link fails if the target exists, where rename would replace it.
    await fs.link(tmpPath, finalPath);
    await fs.rm(tmpPath, { force: true });
  } catch (err) {
    const code = errnoCode(err);
    // FAT and exFAT disks and some shares have no hard links: check, then rename.
    if (code !== "EPERM" && code !== "ENOTSUP" && code !== "ENOSYS" && code !== "EOPNOTSUPP") throw err;
    const exists = await fs.lstat(finalPath).then(
      () => true,
      () => false,
    );
    if (exists) throw Object.assign(new Error(`${finalPath} exists`), { code: "EEXIST" });
    await fs.rename(tmpPath, finalPath);
  }
}

/** Writes the .vmx so that it appears whole or not at all, and never over an existing file. */
export async function writeVmwareVmx(vmxPath: string, options: VmxRestoreOptions): Promise<void> {
  const text = buildVmwareVmx(options);
  const dir = path.dirname(vmxPath);
  const tmpPath = path.join(dir, `.${temporaryName()}.vmx-tmp`);
  try {
    const handle = await fs.open(tmpPath, "wx");
    try {
      await handle.writeFile(text, "utf8");
      await handle.sync();
    } finally {
      await handle.close();
    }
    await publishWithoutReplacing(tmpPath, vmxPath);
    await fsyncDirectory(dir);
  } catch (err) {
    await fs.rm(tmpPath, { force: true }).catch(() => undefined);
    const code = errnoCode(err);
    if (code === "EEXIST") {
      throw new SnapferryError(
        "target",
        `${vmxPath} already exists`,
        "Restore into an empty folder, or move the existing VM away first.",
      );
    }
    if (code === "ENOSPC" || code === "EDQUOT") {
      throw new DiskFullError(vmxPath, err, "Free space on the restore target, then restore again.");
    }
    throw err;
  }
}
