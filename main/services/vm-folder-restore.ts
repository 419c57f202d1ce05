/**
 * Restoring a VM as a VMware Workstation/Fusion folder: its disks as VMDK files (written by the
 * restore engine) plus a .vmx made from the backed-up one, so the restored VM opens and boots.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { UsageError } from "../common/errors.js";
import type { WriteFormat } from "../formats/disk-image.js";
import type { DiskRecord, RestorePoint } from "../repository/restore-point.js";
import { backedUpDiskSlots, writeVmwareVmx } from "../sources/local/restore-folder.js";

export function vmFolderFormat(format: WriteFormat | undefined): WriteFormat {
  if (format === undefined) return "vmdk";
  if (format === "vmdk" || format === "vmdk-flat" || format === "vmdk-stream") return format;
  throw new UsageError(
    `a VMware VM folder needs VMDK disks, not ${format}`,
    "Use --format vmdk (the default) or vmdk-flat.",
  );
}

export function vmDiskPath(folder: string, disk: DiskRecord): string {
  return path.join(folder, `${path.parse(disk.name).name || `disk${disk.index}`}.vmdk`);
}

function configFile(rp: RestorePoint, extension: string): { name: string; data: Buffer } | undefined {
  const name = Object.keys(rp.config).find((n) => n.toLowerCase().endsWith(extension));
  const encoded = name ? rp.config[name] : undefined;
  return name && encoded !== undefined ? { name, data: Buffer.from(encoded, "base64") } : undefined;
}

/** Writes the .vmx (and the NVRAM, when backed up) beside the restored disks. */
export async function writeRestoredVm(
  folder: string,
  rp: RestorePoint,
  diskFiles: string[],
): Promise<string> {
  const vmx = configFile(rp, ".vmx");
  const nvram = configFile(rp, ".nvram");
  const name = rp.source.vm?.name ?? path.basename(rp.source.location).replace(/\.vmx$/i, "");
  const slots = vmx ? backedUpDiskSlots(vmx.data) : [];
  if (nvram) await fs.writeFile(path.join(folder, nvram.name), nvram.data, { flag: "wx" });
  const vmxPath = path.join(folder, `${name}.vmx`);
  await writeVmwareVmx(vmxPath, {
    name,
    disks: diskFiles.map((file, i) => ({
      fileName: path.basename(file),
      ...(slots[i] ? { slot: slots[i] } : {}),
    })),
    ...(vmx ? { originalVmx: vmx.data } : {}),
    ...(nvram ? { nvramFileName: nvram.name } : {}),
    annotation: `Restored by Snapferry from restore point ${rp.id} of ${rp.time}`,
  });
  return vmxPath;
}
