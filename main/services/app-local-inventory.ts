/**
 * What a local source holds, for the inventory screen: the VM (a VMware folder or a libvirt
 * domain) or the single disk image, each disk with its size and snapshot-chain depth. Read with
 * the same inspection the CLI's `inspect` uses, so the screen shows what a backup would read.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import type { LocalInventory } from "../../preload/contract.js";
import type { CatalogSource } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import { openDiskImage } from "../formats/open-image.js";
import { parseLibvirtDomain } from "../sources/local/libvirt.js";
import { inspectVmwareFolder } from "../sources/local/vmware-folder.js";
import { inspect } from "./image-service.js";

type LocalDisk = LocalInventory["vms"][number]["disks"][number];

/** How the app files a local path: a VM (folder, .vmx or libvirt XML) or one disk image. */
export async function localSourceKind(location: string): Promise<"local-folder" | "image"> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (!stat) {
    throw new SnapferryError(
      "source",
      `${location} does not exist`,
      "Give a VMware VM folder, a .vmx file, a libvirt domain XML file or a disk image.",
    );
  }
  return stat.isDirectory() || /\.(vmx|xml)$/i.test(location) ? "local-folder" : "image";
}

export async function localInventory(source: CatalogSource): Promise<LocalInventory> {
  if (source.kind === "image") {
    const report = await inspect(source.location);
    if (report.kind !== "image") throw new SnapferryError("source", `${source.location} is not a disk image`);
    const name = path.basename(source.location);
    return {
      kind: "local",
      vms: [
        {
          name,
          uuid: null,
          disks: [{ name, size: report.info.virtualSize, chainDepth: report.info.chain.length }],
        },
      ],
    };
  }
  if (/\.xml$/i.test(source.location)) {
    const domain = parseLibvirtDomain(await fs.readFile(source.location, "utf8"), source.location);
    const disks = await Promise.all(domain.disks.map((d) => describeDisk(d.target, d.file)));
    return { kind: "local", vms: [{ name: domain.name, uuid: domain.uuid ?? null, disks }] };
  }
  const vm = await inspectVmwareFolder(source.location);
  const disks: LocalDisk[] = [];
  for (const disk of vm.disks) {
    const described = await describeDisk(path.basename(disk.file), disk.file);
    disks.push({ ...described, chainDepth: disk.chainDepth });
  }
  return { kind: "local", vms: [{ name: vm.name, uuid: vm.uuid ?? null, disks }] };
}

async function describeDisk(name: string, file: string): Promise<LocalDisk> {
  const reader = await openDiskImage(file);
  try {
    return { name, size: reader.virtualSize, chainDepth: reader.info.chain.length };
  } finally {
    await reader.close();
  }
}
