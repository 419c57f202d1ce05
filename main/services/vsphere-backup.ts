/**
 * Backing up a VM from an ESXi host or a vCenter: the repository service's backup with the vSphere
 * source plugged in. The source always removes its snapshot when the backup ends; if that removal
 * fails, the user must hear of it even when the backup itself succeeded, and must not lose the
 * backup's own error when it failed.
 */
import type { RestorePoint } from "../repository/restore-point.js";
import type { RetryPolicy } from "../sources/vsphere/datastore-reader.js";
import { SnapshotRemovalError } from "../sources/vsphere/snapshot-engine.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import { openVsphereSource, type VsphereBackupSource } from "../sources/vsphere/vsphere-source.js";
import type { VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import { backup, type BackupKind, type BackupRequest } from "./repository-service.js";

export interface VsphereBackupRequest extends Omit<BackupRequest, "source" | "openSource"> {
  location: VsphereLocation;
  /** Logs in; called once, when the backup opens its source. */
  connect: () => Promise<VimClient>;
  type?: BackupKind;
  enableCbt?: boolean;
  allowCrashConsistent?: boolean;
  jobId?: string;
  retry?: RetryPolicy;
}

export async function backupVsphereVm(request: VsphereBackupRequest): Promise<RestorePoint> {
  const note = request.onNote ?? (() => undefined);
  let removalFailure: unknown;
  let opened: VsphereBackupSource | undefined;
  let closed = false;
  const { location, connect, enableCbt, allowCrashConsistent, jobId, retry, ...rest } = request;
  const openSource = async (): Promise<VsphereBackupSource> => {
    const source = await openVsphereSource(await connect(), {
      location,
      note,
      ...(request.onPhase ? { onPhase: request.onPhase } : {}),
      ...(enableCbt !== undefined ? { enableCbt } : {}),
      ...(allowCrashConsistent !== undefined ? { allowCrashConsistent } : {}),
      ...(jobId !== undefined ? { jobId } : {}),
      ...(retry ? { retry } : {}),
      ...(request.signal ? { signal: request.signal } : {}),
    });
    const close = source.close.bind(source);
    // The backup's own error (if any) must win; the removal failure was already noted loudly.
    source.close = () => {
      closed = true;
      return close().catch((err: unknown) => void (removalFailure = err));
    };
    opened = source;
    return source;
  };
  let rp: RestorePoint;
  try {
    rp = await backup({
      ...rest,
      source: `vsphere://${location.server}/${location.path.join("/")}`,
      openSource,
    });
  } finally {
    // Belt and braces: the repository service closes the source on its own paths, but a snapshot
    // left behind costs the admin a consolidation, so make sure here too.
    if (opened && !closed) await opened.close();
  }
  if (removalFailure !== undefined) throw afterSuccess(removalFailure, rp);
  return rp;
}

function afterSuccess(err: unknown, rp: RestorePoint): unknown {
  if (!(err instanceof SnapshotRemovalError)) return err;
  return new SnapshotRemovalError(err.vm, err.snapshot, err.cause, rp.id);
}
