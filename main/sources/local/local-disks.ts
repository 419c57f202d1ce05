/**
 * Turning disk image readers into the backup's DiskSources, for sources made of several disks:
 * every reader opened is closed again, whether the next one fails to open or the backup ends.
 */
import type { DiskImageReader } from "../../formats/disk-image.js";
import type { BackupSource, DiskSource } from "../disk-source.js";

/** Opens a disk image of any supported format, resolving its chain (main/formats/open-image.ts). */
export type OpenDiskImage = (path: string) => Promise<DiskImageReader>;

export async function closeReaders(readers: DiskImageReader[]): Promise<void> {
  const results = await Promise.allSettled(readers.map((r) => r.close()));
  const failed = results.find((r): r is PromiseRejectedResult => r.status === "rejected");
  if (failed) throw failed.reason;
}

/** Opens every file in order; if one fails, those already open are closed before the error goes on. */
export async function openReaders(files: string[], open: OpenDiskImage): Promise<DiskImageReader[]> {
  const readers: DiskImageReader[] = [];
  try {
    for (const file of files) readers.push(await open(file));
    return readers;
  } catch (err) {
    await closeReaders(readers).catch(() => undefined);
    throw err;
  }
}

export function diskSourceOf(name: string, reader: DiskImageReader): DiskSource {
  return {
    name,
    size: reader.virtualSize,
    read: (offset, target) => reader.read(offset, target),
  };
}

/** Names unique within one source: a second "disk.vmdk" becomes "disk (2).vmdk". */
export function uniqueNames(names: string[]): string[] {
  const used = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; used.has(candidate); n++) {
      const dot = name.lastIndexOf(".");
      candidate = dot > 0 ? `${name.slice(0, dot)} (${n})${name.slice(dot)}` : `${name} (${n})`;
    }
    used.add(candidate);
    return candidate;
  });
}

/** What a local VM source (VMware folder, libvirt domain) knows once its disks are open. */
export interface LocalVmParts {
  kind: string;
  location: string;
  uuid: string | undefined;
  name: string;
  fingerprint: string;
  /** Disk names, one per reader, unique within the VM. */
  names: string[];
  readers: DiskImageReader[];
  configFiles: Record<string, Buffer>;
}

export function localVmSource(parts: LocalVmParts): BackupSource {
  return {
    info: {
      kind: parts.kind,
      location: parts.location,
      ...(parts.uuid !== undefined ? { vm: { uuid: parts.uuid, name: parts.name } } : {}),
    },
    consistency: "crash",
    fingerprint: parts.fingerprint,
    disks: parts.readers.map((reader, i) => diskSourceOf(parts.names[i] ?? `disk ${i}`, reader)),
    configFiles: parts.configFiles,
    close: () => closeReaders(parts.readers),
  };
}
