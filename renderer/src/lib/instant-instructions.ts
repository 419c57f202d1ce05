/**
 * How to attach a disk served by "Run from backup" to the hypervisors our users have, as text
 * they can copy. NBD URLs are nbd://HOST:PORT/EXPORT; qemu and libvirt speak it natively, Proxmox
 * and ESXi do not, so for them the instructions say the honest way round.
 */
import type { InstantView } from "../../../preload/contract";

export interface Instruction {
  id: "qemu" | "libvirt" | "proxmox" | "esxi";
  title: string;
  /** What to know before copying. */
  note: string;
  /** What to copy, exactly. */
  text: string;
}

export function instructionsFor(
  view: Pick<InstantView, "url" | "host" | "port" | "exportName">,
): Instruction[] {
  const { url, host, port, exportName } = view;
  return [
    {
      id: "qemu",
      title: "QEMU",
      note: "Boots a VM from the backup; what it writes goes to the overlay, never to the backup.",
      text: `qemu-system-x86_64 -m 2048 -drive file=${url},format=raw`,
    },
    {
      id: "libvirt",
      title: "libvirt (virt-manager, virsh)",
      note: "Add this disk to the VM's XML with `virsh edit VM`, then start the VM.",
      text: [
        `<disk type='network' device='disk'>`,
        `  <driver name='qemu' type='raw'/>`,
        `  <source protocol='nbd' name='${exportName}'>`,
        `    <host name='${host}' port='${port}'/>`,
        `  </source>`,
        `  <target dev='vda' bus='virtio'/>`,
        `</disk>`,
      ].join("\n"),
    },
    {
      id: "proxmox",
      title: "Proxmox VE",
      note:
        "Proxmox has no native NBD disk. On the Proxmox host, attach the export as a block device with " +
        "qemu-nbd and give that device to the VM; or Finalize to qcow2 and import it with qm importdisk.",
      text: [
        `modprobe nbd max_part=8`,
        `qemu-nbd --connect=/dev/nbd0 --format=raw ${url}`,
        `# when done: qemu-nbd --disconnect /dev/nbd0`,
        `# or, after Finalize to qcow2: qm importdisk VMID /path/to/disk.qcow2 STORAGE`,
      ].join("\n"),
    },
    {
      id: "esxi",
      title: "VMware ESXi",
      note:
        "ESXi cannot mount an NBD disk. Finalize to VMDK (flat for ESXi) and upload it to a datastore; " +
        "serving it as an NFS datastore is a later step. Any nbdkit/NBD-compatible client (nbdcopy, " +
        "nbdinfo, qemu-img) can read the URL meanwhile.",
      text: `qemu-img convert -p -O vmdk ${url} disk.vmdk`,
    },
  ];
}
