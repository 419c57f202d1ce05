/**
 * A powered-off (or suspended) VMware Workstation or Fusion VM, read from its folder, as a backup
 * source. Nothing takes a snapshot here, so a running VM is refused: its disks would change under
 * the backup. Each disk is read through its current delta, which the image reader resolves down
 * the chain, so the backup holds the disk as the VM sees it now.
 */
import path from "node:path";
import { SnapferryError } from "../../common/errors.js";
import type { BackupSource } from "../disk-source.js";
import { fingerprintFiles, readConfigFile } from "./local-files.js";
import { closeReaders, localVmSource, openReaders, uniqueNames, type OpenDiskImage } from "./local-disks.js";
import { findVmwareLocks } from "./vm-locks.js";
import type { DescriptorReader } from "./vmdk-descriptor.js";
import { inspectVmwareFolder, type VmwareFolder } from "./vmware-folder.js";

export interface VmwareSourceOptions {
  /** Substitutes the VMDK descriptor reader (tests, or a reader that handles more variants). */
  readDescriptor?: DescriptorReader;
}

export class VmRunningError extends SnapferryError {
  constructor(name: string, lock: string) {
    super(
      "source",
      `${name} is running (lock folder ${lock}): backing up its disks without a hypervisor snapshot would not be crash-consistent`,
      "Shut the VM down or suspend it in VMware Workstation/Fusion, then run the backup again; for ESXi VMs use the vSphere connector, which takes a snapshot. " +
        "If it is not running, VMware left the lock after a crash: power the VM on and off once, or delete that folder.",
    );
  }
}

function refuseIfRunning(vm: VmwareFolder, locks: string[]): void {
  const lock = locks[0];
  if (lock !== undefined) {
    const shown = path.dirname(lock) === vm.folder ? path.basename(lock) : lock;
    throw new VmRunningError(vm.name, shown);
  }
}

export async function openVmwareFolderSource(
  folder: string,
  openDiskImage: OpenDiskImage,
  options: VmwareSourceOptions = {},
): Promise<BackupSource> {
  const vm = await inspectVmwareFolder(folder, options.readDescriptor);
  refuseIfRunning(vm, vm.locks);
  if (vm.disks.length === 0) {
    const skipped = vm.skipped.map((d) => `${d.slot}: ${d.reason}`).join("; ");
    throw new SnapferryError(
      "source",
      `${vm.name} has no virtual disk to back up${skipped ? ` (${skipped})` : ""}`,
      "Check the VM's settings in VMware: its disks must be present and attached.",
    );
  }
  const configFiles: Record<string, Buffer> = {};
  for (const file of vm.configFiles) configFiles[file.name] = await readConfigFile(file.path);
  const readers = await openReaders(
    vm.disks.map((d) => d.file),
    openDiskImage,
  );
  try {
    // The VM may have been started while its disks were being opened.
    refuseIfRunning(
      vm,
      await findVmwareLocks(
        vm.vmxPath,
        vm.disks.flatMap((d) => d.currentFiles),
      ),
    );
    const fingerprint = await fingerprintFiles("vmware-folder", [
      ...vm.configFiles.map((f) => f.path),
      ...vm.disks.flatMap((d) => [...d.chain, ...d.dataFiles]),
    ]);
    // The base disk's name stays the same across snapshots, unlike the current delta's.
    const names = uniqueNames(vm.disks.map((d) => path.basename(d.baseFile)));
    return localVmSource({
      kind: "vmware-folder",
      location: vm.folder,
      uuid: vm.uuid,
      name: vm.name,
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
