/**
 * Is a local VMware VM running? Workstation and Fusion lock the files a running VM has open by
 * creating an entry named "<file>.lck" (a folder of lock files) beside each of them, and remove it
 * at power-off or suspend. A VM whose .vmx or current disk has one is in use.
 */
import { promises as fs } from "node:fs";
import path from "node:path";

async function present(p: string): Promise<boolean> {
  try {
    await fs.lstat(p);
    return true;
  } catch {
    return false;
  }
}

/**
 * The lock entries found, as absolute paths. `lockedFiles` (the .vmx's current disks) are checked
 * one by one, as a disk may live outside the VM's folder; in the folder, the lock of any other
 * file named after the .vmx (the memory file "web01-1a2b.vmem.lck", say) counts too. Older disks
 * of the chain are not checked: a running linked clone locks the read-only disks it shares with
 * this VM, which does not make this VM unsafe to read.
 */
export async function findVmwareLocks(vmxPath: string, lockedFiles: string[]): Promise<string[]> {
  const locks = new Set<string>();
  for (const file of [vmxPath, ...lockedFiles]) {
    const lock = `${file}.lck`;
    if (await present(lock)) locks.add(lock);
  }
  const folder = path.dirname(vmxPath);
  const stem = path.basename(vmxPath).replace(/\.vmx$/i, "");
  let entries: string[] = [];
  try {
    entries = await fs.readdir(folder);
  } catch {
    // The .vmx was just read from this folder; if it cannot be listed, the checks above stand.
  }
  for (const name of entries) {
    const lower = name.toLowerCase();
    const ours = lower.startsWith(`${stem.toLowerCase()}.`) || lower.startsWith(`${stem.toLowerCase()}-`);
    if (ours && lower.endsWith(".lck") && !lower.endsWith(".vmdk.lck")) locks.add(path.join(folder, name));
  }
  return [...locks].sort();
}
