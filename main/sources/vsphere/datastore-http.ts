/**
 * Files on a datastore as the `/folder` HTTP endpoint serves them: datastore paths
 * ("[LocalDS_0] vm/disk.vmdk") turned into URLs, small files (a disk descriptor, a .vmx) read
 * whole but bounded, and a disk's flat extent found through its descriptor.
 */
import type { IncomingMessage } from "node:http";
import path from "node:path";
import { SnapferryError } from "../../common/errors.js";
import { decodeDescriptor } from "../../formats/vmdk/descriptor.js";
import { parseVmdkDescriptor } from "../local/vmdk-descriptor.js";
import type { VimClient } from "./vim-client.js";

export interface DatastorePath {
  datastore: string;
  /** The path inside the datastore, "/"-separated, without a leading slash. */
  path: string;
}

export function parseDatastorePath(value: string): DatastorePath {
  const match = /^\[([^\]]+)\]\s*(.*)$/.exec(value.trim());
  const inside = match?.[2] ? path.posix.normalize(match[2]) : undefined;
  if (!match?.[1] || !inside || inside.startsWith("..") || inside.startsWith("/")) {
    throw new SnapferryError(
      "vsphere-protocol",
      `"${value}" is not a datastore path ("[datastore] folder/file")`,
      "Check that the address points at an ESXi host or a vCenter Server.",
    );
  }
  return { datastore: match[1], path: inside };
}

export function formatDatastorePath(p: DatastorePath): string {
  return `[${p.datastore}] ${p.path}`;
}

/** `/folder/<path>?dcPath=<datacenter>&dsName=<datastore>`, every part percent-encoded. */
export function folderUrl(datacenterPath: string, file: DatastorePath): string {
  const encoded = file.path.split("/").map(encodeURIComponent).join("/");
  const query = new URLSearchParams({ dcPath: datacenterPath, dsName: file.datastore });
  return `/folder/${encoded}?${query.toString().replace(/\+/g, "%20")}`;
}

/** Descriptors are a few hundred bytes, .vmx files a few KiB. */
const SMALL_FILE_LIMIT = 1024 * 1024;

/**
 * Reads a small file whole; undefined when it does not exist or is empty. Larger than `limit` is
 * an error: this is for configuration, never for disk data.
 */
export async function readSmallFile(
  client: VimClient,
  datacenterPath: string,
  file: DatastorePath,
  limit = SMALL_FILE_LIMIT,
): Promise<Buffer | undefined> {
  const response = await client.httpRequest("GET", folderUrl(datacenterPath, file));
  const status = response.statusCode ?? 0;
  if (status === 404) {
    response.resume();
    return undefined;
  }
  if (status !== 200) {
    response.resume();
    throw new SnapferryError(
      "vsphere-protocol",
      `${client.server} answered HTTP ${status} to reading ${formatDatastorePath(file)}`,
      "Check the file in the datastore browser of the vSphere Client, and the user's Datastore.Browse privilege.",
    );
  }
  const data = await readLimited(response, limit, formatDatastorePath(file));
  return data.length === 0 ? undefined : data;
}

async function readLimited(response: IncomingMessage, limit: number, what: string): Promise<Buffer> {
  const parts: Buffer[] = [];
  let size = 0;
  for await (const part of response) {
    const chunk = part as Buffer;
    size += chunk.length;
    if (size > limit) {
      response.destroy();
      throw new SnapferryError(
        "source",
        `${what} is larger than ${limit} bytes, too large for a configuration file`,
        "Check that the VM's files on the datastore are what vSphere says they are.",
      );
    }
    parts.push(chunk);
  }
  return Buffer.concat(parts);
}

const FLAT_TYPES = new Set(["FLAT", "VMFS"]);

/**
 * The flat extent holding a disk's data, named by its descriptor. vcsim (and a damaged datastore)
 * may give an empty or unreadable descriptor: the ESXi naming convention `<name>-flat.vmdk` is
 * used then. A descriptor that names something other than one flat extent is refused, since
 * reading the wrong file would back up the wrong bytes.
 */
export async function flatExtentOf(
  client: VimClient,
  datacenterPath: string,
  descriptor: DatastorePath,
  disk: string,
): Promise<DatastorePath> {
  const folder = path.posix.dirname(descriptor.path);
  const conventional = `${path.posix.basename(descriptor.path).replace(/\.vmdk$/i, "")}-flat.vmdk`;
  const fallback = { datastore: descriptor.datastore, path: path.posix.join(folder, conventional) };
  const bytes = await readSmallFile(client, datacenterPath, descriptor).catch(() => undefined);
  if (!bytes) return fallback;
  let extents;
  try {
    extents = parseVmdkDescriptor(decodeDescriptor(bytes), formatDatastorePath(descriptor), false).extents;
  } catch {
    return fallback;
  }
  const [only] = extents;
  if (extents.length === 0) return fallback;
  if (!only || extents.length > 1 || !FLAT_TYPES.has(only.type.toUpperCase()) || !only.fileName) {
    throw new SnapferryError(
      "source",
      `${disk} (${formatDatastorePath(descriptor)}) is not a disk with one flat extent ` +
        `(its descriptor lists ${extents.map((e) => e.type).join(", ")})`,
      "Snapferry reads thin, thick and eager-zeroed VMDK disks on VMFS, NFS and vSAN; other disk layouts are not supported yet.",
    );
  }
  const extentPath = path.posix.normalize(path.posix.join(folder, only.fileName));
  return { datastore: descriptor.datastore, path: extentPath };
}
