/**
 * The files one virtual disk is made of on its datastore: the descriptor the VM names, the flat
 * extent holding the data and the change-tracking file, all as the descriptor says. vcsim (and a
 * damaged datastore) may give an empty or unreadable descriptor: ESXi's naming convention
 * `<name>-flat.vmdk` is used then, and no change-tracking file is assumed.
 */
import path from "node:path";
import { SnapferryError } from "../../common/errors.js";
import { decodeDescriptor, parseDescriptor, type VmdkDescriptor } from "../../formats/vmdk/descriptor.js";
import { formatDatastorePath, readSmallFile, type DatastorePath } from "./datastore-http.js";
import type { VimClient } from "./vim-client.js";

export interface DiskFiles {
  descriptor: DatastorePath;
  flat: DatastorePath;
  /** The `-ctk.vmdk` file the descriptor names while CBT is on. */
  changeTracking: DatastorePath | undefined;
  /** The descriptor, parsed, when it could be read. */
  parsed: VmdkDescriptor | undefined;
}

const FLAT_TYPES: ReadonlySet<string> = new Set(["FLAT", "VMFS"]);
const CHANGE_TRACK_PATH = /^[ \t]*changeTrackPath[ \t]*=[ \t]*"([^"\r\n]+)"/im;

export async function readDiskFiles(
  client: VimClient,
  datacenterPath: string,
  descriptor: DatastorePath,
  label: string,
): Promise<DiskFiles> {
  const folder = path.posix.dirname(descriptor.path);
  const inFolder = (name: string): DatastorePath => ({
    datastore: descriptor.datastore,
    path: path.posix.normalize(path.posix.join(folder, name)),
  });
  const conventional: DiskFiles = {
    descriptor,
    flat: inFolder(`${path.posix.basename(descriptor.path).replace(/\.vmdk$/i, "")}-flat.vmdk`),
    changeTracking: undefined,
    parsed: undefined,
  };
  const bytes = await readSmallFile(client, datacenterPath, descriptor);
  if (!bytes) return conventional;
  const text = decodeDescriptor(bytes);
  let parsed: VmdkDescriptor;
  try {
    parsed = parseDescriptor(text, formatDatastorePath(descriptor));
  } catch {
    return conventional;
  }
  const [only, ...more] = parsed.extents;
  if (!only?.file || more.length > 0 || !FLAT_TYPES.has(only.type) || !isPlainName(only.file)) {
    throw new SnapferryError(
      "target",
      `${label} (${formatDatastorePath(descriptor)}) is not a disk with one flat extent ` +
        `(its descriptor lists ${parsed.extents.map((e) => e.type).join(", ") || "none"}), so it cannot be replaced in place`,
      "Restore the VM as a new VM (--to vsphere://...) or the disk to a file (--target FILE).",
    );
  }
  const ctk = CHANGE_TRACK_PATH.exec(text)?.[1];
  const changeTracking = ctk !== undefined && isPlainName(ctk) ? inFolder(ctk) : undefined;
  return {
    descriptor,
    flat: inFolder(only.file),
    changeTracking,
    parsed,
  };
}

/** A name in the descriptor's folder: ESXi writes no other, and anything else could reach outside it. */
function isPlainName(name: string): boolean {
  return !name.includes("/") && !name.includes("\\") && name !== "." && name !== "..";
}

/** Every file of the disk, descriptor first: the order in which they are deleted. */
export function filesOf(disk: DiskFiles): DatastorePath[] {
  return [disk.descriptor, disk.flat, ...(disk.changeTracking ? [disk.changeTracking] : [])];
}
