/**
 * Turns what the user named as a backup source into a BackupSource: a VMware Workstation/Fusion
 * VM (its folder or .vmx), a libvirt domain XML file, or a single disk image or block device.
 */
import { promises as fs } from "node:fs";
import { openDiskImage } from "../formats/open-image.js";
import type { BackupSource } from "./disk-source.js";
import { openImageSource } from "./image-file.js";
import { openLibvirtSource } from "./local/libvirt.js";
import { openVmwareFolderSource } from "./local/vmware-source.js";

export async function openBackupSource(location: string): Promise<BackupSource> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (stat?.isDirectory() || /\.vmx$/i.test(location)) return openVmwareFolderSource(location, openDiskImage);
  if (/\.xml$/i.test(location)) return openLibvirtSource(location, openDiskImage);
  return openImageSource(location);
}
