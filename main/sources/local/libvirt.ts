/**
 * A shut-off libvirt/KVM VM, read from its domain XML and image files, as a backup source. Like
 * a VMware folder, a running VM is refused: nothing here takes a snapshot. The XML (and the UEFI
 * variable store, when there is one) is kept as configuration.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { errnoCode, SnapferryError } from "../../common/errors.js";
import type { DiskImageReader } from "../../formats/disk-image.js";
import type { BackupSource } from "../disk-source.js";
import { parseLibvirtDomain, type LibvirtDisk, type LibvirtDomain } from "./libvirt-domain.js";
import { fingerprintFiles, readConfigFile } from "./local-files.js";
import { closeReaders, localVmSource, openReaders, uniqueNames, type OpenDiskImage } from "./local-disks.js";

export { parseLibvirtDomain, type LibvirtDisk, type LibvirtDomain } from "./libvirt-domain.js";

export interface LibvirtSourceOptions {
  /**
   * Where libvirt keeps the state of running VMs (NAME.pid, NAME.xml). By default the system
   * daemon's and the user session's folders.
   */
  runtimeDirs?: string[];
}

function defaultRuntimeDirs(): string[] {
  const dirs = ["/run/libvirt/qemu", "/var/run/libvirt/qemu"];
  const xdg = process.env.XDG_RUNTIME_DIR;
  if (xdg) dirs.push(path.join(xdg, "libvirt", "qemu", "run"));
  return dirs;
}

async function firstExisting(files: string[]): Promise<string | undefined> {
  for (const file of files) {
    try {
      await fs.lstat(file);
      return file;
    } catch {
      // Absent: try the next.
    }
  }
  return undefined;
}

/** The state file that shows the VM runs: libvirt writes it at start and removes it at shutdown. */
function runningEvidence(
  domain: LibvirtDomain,
  xmlPath: string,
  dirs: string[],
): Promise<string | undefined> {
  if (domain.liveStatus) return Promise.resolve(xmlPath);
  return firstExisting(dirs.flatMap((dir) => [`${dir}/${domain.name}.pid`, `${dir}/${domain.name}.xml`]));
}

function refuseRunning(name: string, evidence: string): never {
  throw new SnapferryError(
    "source",
    `${name} is running (libvirt state file ${evidence}): backing up its disks without a hypervisor snapshot would not be crash-consistent`,
    `Shut it down (virsh shutdown ${name}) or save it to disk (virsh managedsave ${name}), then run the backup again.`,
  );
}

/** libvirt's name for a format, as the image readers name it. */
const FORMAT_NAMES: Record<string, string> = {
  raw: "raw",
  qcow2: "qcow2",
  vmdk: "vmdk",
  vhdx: "vhdx",
  vpc: "vhd",
};

/**
 * An image whose content does not match the format libvirt opens it as is refused: a guest can
 * write a qcow2 header into its raw disk, and trusting it would back up files the header names.
 */
function checkFormat(name: string, disk: LibvirtDisk, reader: DiskImageReader): void {
  const expected = disk.driverType === undefined ? undefined : FORMAT_NAMES[disk.driverType];
  const actual = reader.info.format.toLowerCase();
  if (expected !== undefined && actual !== expected) {
    throw new SnapferryError(
      "source",
      `disk ${disk.target} of ${name} is declared ${disk.driverType ?? "?"} in its XML, but ${disk.file} reads as ${actual}`,
      "Check the file and the <driver type=…> of the disk; libvirt opens it as declared, so the backup will not guess otherwise.",
    );
  }
}

async function readNvram(file: string): Promise<Buffer | undefined> {
  try {
    await fs.stat(file);
  } catch (err) {
    // libvirt creates the variable store at first start; a VM never started has none yet.
    if (errnoCode(err) === "ENOENT") return undefined;
  }
  return readConfigFile(file);
}

export async function openLibvirtSource(
  xmlPath: string,
  openDiskImage: OpenDiskImage,
  options: LibvirtSourceOptions = {},
): Promise<BackupSource> {
  const absolute = path.resolve(xmlPath);
  const xml = await readConfigFile(absolute);
  const domain = parseLibvirtDomain(xml.toString("utf8"), absolute);
  const runtimeDirs = options.runtimeDirs ?? defaultRuntimeDirs();
  const evidence = await runningEvidence(domain, absolute, runtimeDirs);
  if (evidence !== undefined) refuseRunning(domain.name, evidence);
  const unreadable = domain.unreadable[0];
  if (unreadable) {
    throw new SnapferryError(
      "source",
      `disk ${unreadable.target} of ${domain.name} is ${unreadable.reason}`,
      "Snapferry backs up a libvirt VM whose disks are image files; back the other disks up separately.",
    );
  }
  if (domain.disks.length === 0) {
    throw new SnapferryError(
      "source",
      `${domain.name} has no disk image to back up`,
      "Check the domain XML.",
    );
  }
  const configFiles: Record<string, Buffer> = { [path.basename(absolute)]: xml };
  const nvram = domain.nvram === undefined ? undefined : await readNvram(domain.nvram);
  if (nvram && domain.nvram) configFiles[path.basename(domain.nvram)] = nvram;

  const readers = await openReaders(
    domain.disks.map((d) => d.file),
    openDiskImage,
  );
  try {
    domain.disks.forEach((disk, i) => {
      const reader = readers[i];
      if (reader) checkFormat(domain.name, disk, reader);
    });
    const again = await runningEvidence(domain, absolute, runtimeDirs);
    if (again !== undefined) refuseRunning(domain.name, again);
    const fingerprint = await fingerprintFiles("libvirt", [
      absolute,
      ...(nvram && domain.nvram ? [domain.nvram] : []),
      ...readers.flatMap((r) => r.info.chain.map((layer) => layer.path)),
    ]);
    const names = uniqueNames(domain.disks.map((d) => path.basename(d.file)));
    return localVmSource({
      kind: "libvirt",
      location: absolute,
      uuid: domain.uuid,
      name: domain.name,
      fingerprint,
      names,
      readers,
      configFiles,
    });
  } catch (err) {
    await closeReaders(readers).catch(() => undefined);
    throw err;
  }
}
