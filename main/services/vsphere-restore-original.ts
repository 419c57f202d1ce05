/**
 * Restore to the original location: the VM a vSphere restore point was made from gets its disks
 * back as they were at the backup. The VM is found again by its instance UUID on the server the
 * restore point names (or another address for it), every check runs before anything changes, the
 * caller confirms the plan, and then the disks are replaced in place (vsphere-original-steps.ts).
 */
import { randomBytes } from "node:crypto";
import { SnapferryError } from "../common/errors.js";
import type { ProgressListener } from "../engines/progress.js";
import { Repository } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import { checkDatastoreUploads } from "../sources/vsphere/datastore-upload.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import { newJobId } from "../sources/vsphere/vsphere-source.js";
import { parseVsphereUrl, type VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import type { RepoRef } from "./repository-service.js";
import { planOriginalRestore, type OriginalRestorePlan } from "./vsphere-original-plan.js";
import { replaceDisks, type ReplaceOutcome } from "./vsphere-original-steps.js";

export type { OriginalRestorePlan, DiskReplacement } from "./vsphere-original-plan.js";
export type { ReplacedDisk } from "./vsphere-original-steps.js";

export interface OriginalRestoreRequest extends RepoRef {
  restorePoint: string;
  /** The server to look for the VM on, when it is not the address the restore point records. */
  server?: VsphereLocation;
  /** Only this disk of the restore point (its index); every disk otherwise. */
  disk?: number;
  /** Keep the replaced disk files instead of deleting them once the VM uses the restored ones. */
  keepOld?: boolean;
  /** Logs in to `location`; the door decides where the password comes from. */
  connect: (location: VsphereLocation) => Promise<VimClient>;
  /** Shown the plan once every check has passed; nothing changes unless it resolves to true. */
  confirm: (plan: OriginalRestorePlan) => Promise<boolean>;
  jobId?: string;
  onProgress?: ProgressListener;
  onNote?: (note: string) => void;
  signal?: AbortSignal;
}

export interface OriginalRestoreResult extends ReplaceOutcome {
  plan: OriginalRestorePlan;
  notes: string[];
}

/** The user did not confirm the plan (no --yes): a usage matter, and nothing was changed. */
export class RestoreNotConfirmedError extends SnapferryError {
  constructor(plan: OriginalRestorePlan) {
    super(
      "usage",
      `restoring VM ${plan.vm.name} in place powers it off and replaces its disks, so it needs confirmation; nothing was changed`,
      "Check what would be overwritten (listed above), then run the same command again with --yes.",
    );
  }
}

const UPLOAD_CHECK_FILE = ".snapferry-upload-check";

export async function restoreToOriginalVm(request: OriginalRestoreRequest): Promise<OriginalRestoreResult> {
  const repo = await Repository.open(request.repo, request.password);
  const rp = await repo.resolveRestorePoint(request.restorePoint);
  const location = serverOf(rp, request.server);
  const notes: string[] = [];
  const note = (text: string): void => {
    notes.push(text);
    request.onNote?.(text);
  };
  // A shared lock keeps prune from deleting packs while they are read; taken before the VM is touched.
  const lock = await repo.lock("shared", "restore");
  try {
    const client = await request.connect(location);
    try {
      const plan = await planOriginalRestore(client, rp, {
        jobId: request.jobId ?? newJobId(),
        ...(request.disk !== undefined ? { disk: request.disk } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      plan.notes.forEach(note);
      if (!(await request.confirm(plan))) throw new RestoreNotConfirmedError(plan);
      await checkUploads(client, plan, note);
      const outcome = await replaceDisks({
        client,
        repo,
        index: await repo.loadIndex(),
        plan,
        keepOld: request.keepOld === true,
        note,
        ...(request.onProgress ? { onProgress: request.onProgress } : {}),
        ...(request.signal ? { signal: request.signal } : {}),
      });
      return { ...outcome, plan, notes };
    } finally {
      await client.close();
    }
  } finally {
    await lock.release();
  }
}

/** The server the restore point was made on, unless the caller names another address for it. */
function serverOf(rp: RestorePoint, override: VsphereLocation | undefined): VsphereLocation {
  if (rp.source.kind !== "vsphere" || !rp.source.vm?.uuid) {
    throw new SnapferryError(
      "target",
      `restore point ${rp.id.slice(0, 8)} is a backup of ${rp.source.location}, not of a vSphere VM, so it has no original VM to restore to`,
      "Restore it to a file (--target FILE) or as a new VM (--to vsphere://HOST/DATACENTER/HOST-OR-CLUSTER).",
    );
  }
  return override ?? parseVsphereUrl(rp.source.location, "the restore point's vsphere:// address");
}

/** Detect, don't guess: one empty test upload per datastore, before the VM is powered off. */
async function checkUploads(
  client: VimClient,
  plan: OriginalRestorePlan,
  note: (text: string) => void,
): Promise<void> {
  const datastores = new Set(plan.disks.map((d) => d.newFlat.datastore));
  for (const datastore of datastores) {
    const probe = {
      datacenterPath: plan.vm.datacenter.path,
      datastore,
      path: `${UPLOAD_CHECK_FILE}-${randomBytes(4).toString("hex")}`,
    };
    const leftover = await checkDatastoreUploads(client, probe, plan.vm.datacenter.ref);
    if (leftover) note(leftover);
  }
}
