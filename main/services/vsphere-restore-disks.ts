/**
 * Filling the disks of a VM a restore just created: each disk found again by its slot, its flat
 * file named by the descriptor, and the restore engine's output streamed into it with one /folder
 * PUT. The size the datastore then reports is checked against the disk's capacity.
 */
import { SnapferryError } from "../common/errors.js";
import type { ProgressListener } from "../engines/progress.js";
import { restoreDisk } from "../engines/restore.js";
import type { ChunkIndex } from "../repository/chunk-index.js";
import type { Repository } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import {
  flatExtentOf,
  formatDatastorePath,
  parseDatastorePath,
  type DatastorePath,
} from "../sources/vsphere/datastore-http.js";
import {
  datastoreFileSize,
  openDatastoreUpload,
  type DatastoreFile,
} from "../sources/vsphere/datastore-upload.js";
import { SERVICE_INSTANCE } from "../sources/vsphere/service-content.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import type { PlannedDisk } from "../sources/vsphere/vm-create.js";
import type { VmDisk } from "../sources/vsphere/vm-disks.js";

export interface RestoredDisk {
  index: number;
  /** The disk as the VM names it: "[DS] vm/vm.vmdk". */
  descriptor: string;
  /** The file its bytes went to: "[DS] vm/vm-flat.vmdk". */
  flatFile: string;
  bytes: number;
}

export interface DiskFillContext {
  client: VimClient;
  repo: Repository;
  index: ChunkIndex;
  rp: RestorePoint;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}

export async function fillDisks(
  ctx: DiskFillContext,
  dcPath: string,
  planned: readonly PlannedDisk[],
  created: readonly VmDisk[],
): Promise<RestoredDisk[]> {
  const restored: RestoredDisk[] = [];
  for (const want of planned) {
    const disk = created.find((d) => sameSlot(d, want));
    const data = ctx.rp.disks.find((d) => d.index === want.index);
    if (!disk || !data) {
      throw new SnapferryError(
        "vsphere-protocol",
        `the new VM on ${ctx.client.server} lacks disk ${want.index} (${want.controllerType} ${want.busNumber}:${want.unitNumber}) that was asked for`,
        "Look at the VM in the vSphere Client; the server may not support this controller type.",
      );
    }
    const descriptor = parseDatastorePath(disk.file);
    const flat = await flatFileOf(ctx.client, dcPath, descriptor, disk.label);
    const label = `disk ${data.index} (${data.name})`;
    if (data.size > disk.capacityBytes) {
      throw new SnapferryError(
        "internal",
        `${label} holds ${data.size} bytes, more than the ${disk.capacityBytes} of the disk created for it`,
      );
    }
    await uploadDisk(ctx, { datacenterPath: dcPath, ...flat }, disk.capacityBytes, data, label);
    restored.push({
      index: data.index,
      descriptor: disk.file,
      flatFile: formatDatastorePath(flat),
      bytes: disk.capacityBytes,
    });
  }
  return restored;
}

function sameSlot(disk: VmDisk, planned: PlannedDisk): boolean {
  return (
    disk.controllerType === planned.controllerType &&
    disk.busNumber === planned.busNumber &&
    disk.unitNumber === planned.unitNumber
  );
}

async function flatFileOf(
  client: VimClient,
  dcPath: string,
  descriptor: DatastorePath,
  label: string,
): Promise<DatastorePath> {
  try {
    return await flatExtentOf(client, dcPath, descriptor, label);
  } catch (err) {
    if (!(err instanceof SnapferryError) || err.code !== "source") throw err;
    throw new SnapferryError(
      "target",
      `the new disk ${formatDatastorePath(descriptor)} is not one flat file that an upload can fill (${err.message})`,
      "This datastore (vSAN, vVols?) keeps disks as objects: restore to a VMFS or NFS datastore. " +
        "Importing a streamOptimized VMDK through NFC, which such datastores need, is not built yet.",
    );
  }
}

/**
 * Streams one restore-point disk into a datastore file of `size` bytes, then checks the size the
 * datastore reports: the one way every vSphere restore fills a disk.
 */
export async function uploadDisk(
  ctx: DiskFillContext,
  file: DatastoreFile,
  size: number,
  data: RestorePoint["disks"][number],
  label: string,
): Promise<void> {
  const { client, signal } = ctx;
  // Touches the session so an expired one is renewed now: a streamed upload cannot be repeated after a 401.
  await client.invoke("CurrentTime", { _this: SERVICE_INSTANCE });
  await restoreDisk({
    repo: ctx.repo,
    index: ctx.index,
    restorePoint: ctx.rp,
    disk: data,
    target: formatDatastorePath(file),
    overwrite: true,
    openTarget: () =>
      Promise.resolve(
        openDatastoreUpload(client, {
          file,
          size,
          label,
          ...(signal ? { signal } : {}),
        }),
      ),
    ...(ctx.onProgress ? { onProgress: ctx.onProgress } : {}),
    ...(signal ? { signal } : {}),
  });
  const stored = await datastoreFileSize(client, file);
  if (stored !== undefined && stored !== size) {
    throw new SnapferryError(
      "target",
      `after uploading ${label}, ${client.server} reports ${formatDatastorePath(file)} as ${stored} bytes instead of ${size}`,
      "The datastore may be full or the host may have cut the upload short; check its free space and run the restore again.",
    );
  }
}
