/**
 * Small operations on datastore files beside a VM's disks: whether a file exists (HEAD on
 * /folder), writing a small file whole (a disk descriptor), and deleting files (a virtual disk
 * through the VirtualDiskManager, as VMware's own tools do, then whatever is left with the
 * FileManager), where a file that is already gone counts as deleted.
 */
import { SnapferryError } from "../../common/errors.js";
import { formatDatastorePath, type DatastorePath } from "./datastore-http.js";
import { fileUrl, refusalHint, type DatastoreFile } from "./datastore-upload.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { CLEANUP_PATIENCE_MS, isPassingFailure, retryWhileUnreachable } from "./retry-unreachable.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { isVimFault } from "./vsphere-errors.js";

const DELETE_TIMEOUT_MS = 5 * 60_000;

/** A datacenter as datastore operations need it: its path for /folder URLs, its ref for the FileManager. */
export interface DatacenterRef {
  ref: MoRef;
  path: string;
}

export function inDatacenter(datacenter: DatacenterRef, file: DatastorePath): DatastoreFile {
  return { datacenterPath: datacenter.path, datastore: file.datastore, path: file.path };
}

/** True or false as the server says (200 or 404); anything else is an error naming the file. */
export async function datastoreFileExists(
  client: VimClient,
  datacenter: DatacenterRef,
  file: DatastorePath,
): Promise<boolean> {
  const response = await client.httpRequest("HEAD", fileUrl(inDatacenter(datacenter, file)));
  response.resume();
  const status = response.statusCode ?? 0;
  if (status === 200) return true;
  if (status === 404) return false;
  throw new SnapferryError(
    status === 401 || status === 403 ? "vsphere-permission" : "vsphere-protocol",
    `${client.server} answered HTTP ${status} when asked whether ${formatDatastorePath(file)} exists`,
    refusalHint(status, client),
  );
}

/** Writes a small file whole (one PUT with a known body, so it can be repeated after a re-login). */
export async function putSmallFile(
  client: VimClient,
  datacenter: DatacenterRef,
  file: DatastorePath,
  content: Buffer,
): Promise<void> {
  const response = await client.httpRequest("PUT", fileUrl(inDatacenter(datacenter, file)), {
    headers: { "Content-Type": "application/octet-stream", "Content-Length": String(content.length) },
    body: content,
  });
  response.resume();
  const status = response.statusCode ?? 0;
  if (status >= 200 && status < 300) return;
  throw new SnapferryError(
    status === 401 || status === 403 ? "vsphere-permission" : "target",
    `${client.server} refused writing ${formatDatastorePath(file)} (HTTP ${status})`,
    refusalHint(status, client),
  );
}

/**
 * Deletes one file, retried while the server cannot be reached. A fault for a file that a HEAD then
 * shows gone (FileNotFound; vcsim's CannotDeleteFile; ESXi removing a disk's extents along with
 * its descriptor) counts as deleted.
 */
export async function deleteDatastoreFile(
  client: VimClient,
  datacenter: DatacenterRef,
  file: DatastorePath,
  patienceMs = CLEANUP_PATIENCE_MS,
): Promise<void> {
  const fileManager = client.serviceContent.fileManager;
  if (!fileManager) {
    throw new SnapferryError(
      "vsphere-protocol",
      `${client.server} has no file manager, so ${formatDatastorePath(file)} cannot be deleted`,
      "Delete the file with the datastore browser of the vSphere Client.",
    );
  }
  await retryWhileUnreachable(async () => {
    try {
      await runDeleteTask(client, "DeleteDatastoreFile_Task", fileManager, datacenter, file);
    } catch (err) {
      if (!isVimFault(err, "FileNotFound", "CannotDeleteFile", "FileFault")) throw err;
      if (await datastoreFileExists(client, datacenter, file)) throw err;
    }
  }, patienceMs);
}

/** Starts a FileManager or VirtualDiskManager delete task on `file` and waits for it to end. */
async function runDeleteTask(
  client: VimClient,
  method: "DeleteDatastoreFile_Task" | "DeleteVirtualDisk_Task",
  manager: MoRef,
  datacenter: DatacenterRef,
  file: DatastorePath,
): Promise<void> {
  const answer = await client.invoke(method, {
    _this: manager,
    name: formatDatastorePath(file),
    datacenter: datacenter.ref,
  });
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  await waitForTask(client, task, { timeoutMs: DELETE_TIMEOUT_MS });
}

export interface DeleteOutcome {
  deleted: string[];
  /** Each file that could not be deleted, with why. */
  failed: { file: string; reason: string }[];
}

/**
 * Deletes every file it can, in order; never throws, so the caller can say exactly what is left.
 * Once the server stayed out of reach for one file, the others get a single try each, so a host
 * that is gone for good costs one wait, not one per file.
 */
export async function deleteDatastoreFiles(
  client: VimClient,
  datacenter: DatacenterRef,
  files: readonly DatastorePath[],
): Promise<DeleteOutcome> {
  const outcome: DeleteOutcome = { deleted: [], failed: [] };
  let patience = CLEANUP_PATIENCE_MS;
  for (const file of files) {
    const name = formatDatastorePath(file);
    try {
      await deleteDatastoreFile(client, datacenter, file, patience);
      outcome.deleted.push(name);
    } catch (err) {
      if (isPassingFailure(err)) patience = 0;
      outcome.failed.push({ file: name, reason: err instanceof Error ? err.message : String(err) });
    }
  }
  return outcome;
}

/**
 * Deletes a virtual disk's files: first as a disk (VirtualDiskManager.DeleteVirtualDisk_Task
 * removes the descriptor with its extents and CBT file, and is what ESXi expects for .vmdk files),
 * then each of `files` still present one by one, so the outcome names exactly what is left.
 */
export async function deleteDiskFiles(
  client: VimClient,
  datacenter: DatacenterRef,
  descriptor: DatastorePath,
  files: readonly DatastorePath[],
): Promise<DeleteOutcome> {
  const manager = client.serviceContent.virtualDiskManager;
  if (manager) {
    try {
      if (await datastoreFileExists(client, datacenter, descriptor)) {
        await retryWhileUnreachable(() =>
          runDeleteTask(client, "DeleteVirtualDisk_Task", manager, datacenter, descriptor),
        );
      }
    } catch {
      // The files are deleted one by one below, which also says which ones are left.
    }
  }
  const left: DatastorePath[] = [];
  for (const file of files) {
    const present = await datastoreFileExists(client, datacenter, file).catch(() => true);
    if (present) left.push(file);
  }
  const outcome = await deleteDatastoreFiles(client, datacenter, left);
  const failed = new Set(outcome.failed.map((f) => f.file));
  return {
    deleted: files.map(formatDatastorePath).filter((name) => !failed.has(name)),
    failed: outcome.failed,
  };
}
