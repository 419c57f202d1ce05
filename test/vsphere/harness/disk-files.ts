/**
 * From a disk backing's fileName ("[LocalDS_0] VM/disk1.vmdk") to its flat extent, both as a
 * datastore path (what /folder URLs name) and as the file in vcsim's datastore folder.
 */
import { openSync, readSync, closeSync } from "node:fs";
import path from "node:path";
import type { DiskSource } from "./frozen-disks.js";

export interface DatastorePath {
  datastore: string;
  path: string;
}

export function parseDatastorePath(value: string): DatastorePath | undefined {
  const match = /^\[([^\]]+)\]\s*(.*)$/.exec(value.trim());
  if (!match?.[1] || match[2] === undefined) return undefined;
  return { datastore: match[1], path: path.posix.normalize(match[2]) };
}

export function formatDatastorePath(p: DatastorePath): string {
  return `[${p.datastore}] ${p.path}`;
}

/** The first FLAT/VMFS extent a descriptor names; vcsim writes empty descriptors, so often none. */
function flatExtentName(descriptorFile: string): string | undefined {
  let fd: number | undefined;
  try {
    fd = openSync(descriptorFile, "r");
    // Descriptors are a few hundred bytes; anything larger is a monolithic disk with no flat extent.
    const head = Buffer.alloc(64 * 1024);
    const read = readSync(fd, head, 0, head.length, 0);
    const textPart = head.subarray(0, read).toString("latin1");
    return /^\s*(?:RW|RDONLY|NOACCESS)\s+\d+\s+(?:FLAT|VMFS)\s+"([^"]+)"/m.exec(textPart)?.[1];
  } catch {
    return undefined;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

export function locateDisk(
  disk: { deviceKey: number; fileName: string; capacityBytes: number },
  datastoreDir: (name: string) => string,
): DiskSource {
  const descriptor = parseDatastorePath(disk.fileName);
  if (!descriptor)
    throw new Error(`cannot read the datastore path of disk ${disk.deviceKey}: ${disk.fileName}`);
  const root = datastoreDir(descriptor.datastore);
  const folder = path.posix.dirname(descriptor.path);
  const flatName =
    flatExtentName(path.join(root, descriptor.path)) ??
    `${path.posix.basename(descriptor.path).replace(/\.vmdk$/i, "")}-flat.vmdk`;
  const flat = path.posix.normalize(path.posix.join(folder, flatName));
  return {
    deviceKey: disk.deviceKey,
    fileName: disk.fileName,
    flatPath: formatDatastorePath({ datastore: descriptor.datastore, path: flat }),
    livePath: path.join(root, flat),
    capacityBytes: disk.capacityBytes,
  };
}
