/**
 * Inspects the folder of a VMware Workstation or Fusion VM (or a VM folder copied off a datastore):
 * its identity and hardware, each disk with its snapshot chain, the snapshot tree, whether it is
 * running, and the configuration files a backup keeps.
 */
import { promises as fs, type Stats } from "node:fs";
import path from "node:path";
import { errnoCode, SnapferryError } from "../../common/errors.js";
import { readConfigFile } from "./local-files.js";
import { findVmwareLocks } from "./vm-locks.js";
import { candidatePaths, locateVmFile } from "./vm-paths.js";
import { followVmdkChain } from "./vmdk-chain.js";
import { readVmdkDescriptor, type DescriptorReader } from "./vmdk-descriptor.js";
import { emptySnapshotTree, parseVmsd, type SnapshotTree } from "./vmsd.js";
import { parseVmx, type VmxConfig, type VmxSkippedDevice } from "./vmx.js";
import { readVmxf, type VmxfInfo } from "./vmxf.js";

export interface VmwareHardware {
  guestOS: string;
  memoryMiB: number | undefined;
  cpus: number;
  hwVersion: number | undefined;
  /** "bios" or "efi". */
  firmware: string;
}

export interface VmwareFolderDisk {
  /** e.g. "scsi0". */
  controller: string;
  /** lsilogic, pvscsi, ahci, nvme…; undefined when the .vmx leaves VMware's default. */
  controllerType: string | undefined;
  /** e.g. "scsi0:0". */
  slot: string;
  /** persistent, independent-persistent, independent-nonpersistent. */
  mode: string;
  /** Absolute path of the disk's current file: the newest delta when the VM has snapshots. */
  file: string;
  /** Absolute path of the base disk at the bottom of the chain. */
  baseFile: string;
  /** Layers of the chain: 1 for a disk without snapshots, 2 with one snapshot above it, … */
  chainDepth: number;
  /** Descriptor files of the chain, current first. */
  chain: string[];
  /** Every file holding the disk's data (descriptors with embedded data, and extents). */
  dataFiles: string[];
  /** The current layer's files (its descriptor and extents): the ones VMware locks while running. */
  currentFiles: string[];
}

export interface VmwareConfigFile {
  name: string;
  path: string;
}

export interface VmwareFolder {
  folder: string;
  vmxPath: string;
  name: string;
  /** uuid.bios, else vc.uuid, as 8-4-4-4-12 hex; undefined for a VM never powered on. */
  uuid: string | undefined;
  hardware: VmwareHardware;
  disks: VmwareFolderDisk[];
  /** Devices with files that are not backed up (CD images, physical disks…), with the reason. */
  skipped: VmxSkippedDevice[];
  snapshotTree: SnapshotTree;
  running: boolean;
  /** The lock entries that show the VM is in use (absolute paths). */
  locks: string[];
  configFiles: VmwareConfigFile[];
  /** What the .vmxf says, when the VM has one. */
  vmxf: VmxfInfo | undefined;
}

const PICK_VMX_HINT =
  "Give the folder of a VMware Workstation or Fusion VM (the one holding its .vmx file), or the .vmx file itself.";

/** The .vmx in a folder; macOS's "._name.vmx" resource-fork files are not VMs. */
async function findVmx(folder: string): Promise<string> {
  const names = (await fs.readdir(folder)).filter((n) => /\.vmx$/i.test(n) && !n.startsWith("._")).sort();
  const only = names[0];
  if (only === undefined) {
    throw new SnapferryError("source", `${folder} holds no .vmx file`, PICK_VMX_HINT);
  }
  if (names.length > 1) {
    throw new SnapferryError(
      "source",
      `${folder} holds ${names.length} VMs (${names.join(", ")})`,
      `Give the .vmx of the one to back up, e.g. ${path.join(folder, only)}.`,
    );
  }
  return path.join(folder, only);
}

async function resolveVmx(folderOrVmx: string): Promise<string> {
  const absolute = path.resolve(folderOrVmx);
  let stat: Stats;
  try {
    stat = await fs.stat(absolute);
  } catch (err) {
    const code = errnoCode(err);
    throw new SnapferryError(
      "source",
      code === "ENOENT"
        ? `${folderOrVmx} does not exist`
        : `cannot read ${folderOrVmx} (${code ?? String(err)})`,
      PICK_VMX_HINT,
    );
  }
  if (stat.isDirectory()) return findVmx(absolute);
  if (!/\.vmx$/i.test(absolute)) {
    throw new SnapferryError("source", `${folderOrVmx} is not a .vmx file`, PICK_VMX_HINT);
  }
  return absolute;
}

/** The .vmsd, .vmxf and .nvram beside the .vmx, named by the .vmx or after it by VMware's habit. */
async function findConfigFiles(vmxPath: string, vmx: VmxConfig): Promise<VmwareConfigFile[]> {
  const folder = path.dirname(vmxPath);
  const stem = path.basename(vmxPath).replace(/\.vmx$/i, "");
  const references = [
    `${stem}.vmsd`,
    vmx.extendedConfigFile ?? `${stem}.vmxf`,
    vmx.nvramFile ?? `${stem}.nvram`,
  ];
  const files: VmwareConfigFile[] = [{ name: path.basename(vmxPath), path: vmxPath }];
  for (const reference of references) {
    const found = await locateVmFile(folder, reference);
    if (found && !files.some((f) => f.name === path.basename(found))) {
      files.push({ name: path.basename(found), path: found });
    }
  }
  return files;
}

async function inspectDisks(
  vmxPath: string,
  vmx: VmxConfig,
  name: string,
  readDescriptor: DescriptorReader,
): Promise<VmwareFolderDisk[]> {
  const folder = path.dirname(vmxPath);
  const disks: VmwareFolderDisk[] = [];
  for (const disk of vmx.disks) {
    const file = await locateVmFile(folder, disk.fileName);
    if (!file) {
      throw new SnapferryError(
        "source",
        `disk ${disk.slot} of ${name} (${candidatePaths(folder, disk.fileName)[0] ?? disk.fileName}) does not exist`,
        "Check that the VM's folder was copied completely, and that a disk kept elsewhere is reachable at the path the .vmx names.",
      );
    }
    const chain = await followVmdkChain(file, readDescriptor);
    disks.push({
      controller: disk.controller,
      controllerType: disk.controllerType,
      slot: disk.slot,
      mode: disk.mode,
      file,
      baseFile: chain[chain.length - 1]?.file ?? file,
      chainDepth: chain.length,
      chain: chain.map((layer) => layer.file),
      dataFiles: chain.flatMap((layer) => layer.dataFiles),
      currentFiles: [...new Set([file, ...(chain[0]?.dataFiles ?? [])])],
    });
  }
  return disks;
}

export async function inspectVmwareFolder(
  folderOrVmx: string,
  readDescriptor: DescriptorReader = readVmdkDescriptor,
): Promise<VmwareFolder> {
  const vmxPath = await resolveVmx(folderOrVmx);
  const vmx = parseVmx(await readConfigFile(vmxPath), vmxPath);
  const name = vmx.name ?? path.basename(vmxPath).replace(/\.vmx$/i, "");
  const configFiles = await findConfigFiles(vmxPath, vmx);
  const vmsd = configFiles.find((f) => /\.vmsd$/i.test(f.name));
  const vmxf = configFiles.find((f) => /\.vmxf$/i.test(f.name));
  const disks = await inspectDisks(vmxPath, vmx, name, readDescriptor);
  const locks = await findVmwareLocks(
    vmxPath,
    disks.flatMap((d) => d.currentFiles),
  );
  return {
    folder: path.dirname(vmxPath),
    vmxPath,
    name,
    uuid: vmx.biosUuid ?? vmx.vcUuid,
    hardware: {
      guestOS: vmx.guestOS ?? "other",
      memoryMiB: vmx.memoryMiB,
      cpus: vmx.cpus ?? 1,
      hwVersion: vmx.hwVersion,
      firmware: vmx.firmware,
    },
    disks,
    skipped: vmx.skipped,
    snapshotTree: vmsd ? parseVmsd(await readConfigFile(vmsd.path), vmsd.path) : emptySnapshotTree(),
    running: locks.length > 0,
    locks,
    configFiles,
    vmxf: vmxf ? readVmxf(await readConfigFile(vmxf.path), vmxf.path) : undefined,
  };
}
