/**
 * The backup snapshot: taken without memory, quiesced when VMware Tools runs (application
 * consistent) and crash-consistent otherwise, and always removed afterwards with consolidation.
 * A quiesce failure falls back to a crash-consistent snapshot only when the job allows it, since a
 * user who asked for application consistency must not silently get less.
 */
import { SnapferryError } from "../../common/errors.js";
import type { PhaseListener } from "../../engines/progress.js";
import type { Consistency } from "../../repository/restore-point.js";
import { parseMoRef, type MoRef } from "./moref.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { currentOwner, markJobActive, ownerDescription, snapshotName } from "./snapshot-owner.js";
import { waitForTask } from "./tasks.js";
import { isVimFault, VsphereFaultError } from "./vsphere-errors.js";

export interface SnapshotVm {
  ref: MoRef;
  name: string;
}

export interface TakeSnapshotOptions {
  jobId: string;
  /** A powered-off VM's disks are at rest: nothing to quiesce, and the note says so. */
  poweredOff?: boolean;
  /** VMware Tools runs: ask for a quiesced snapshot. */
  quiesce: boolean;
  /** A failed quiesce may be retried once without quiescing. */
  allowCrashConsistent: boolean;
  note: (text: string) => void;
  /** Hears "snapshot" before the snapshot task starts. */
  onPhase?: PhaseListener;
  signal?: AbortSignal;
  /** Bound on the snapshot task (quiescing a busy guest can take minutes). */
  timeoutMs?: number;
}

export interface BackupSnapshot {
  ref: MoRef;
  name: string;
  consistency: Consistency;
}

const CREATE_TIMEOUT_MS = 30 * 60_000;
/** Consolidating a large delta disk takes long; the removal is waited for however the job ended. */
const REMOVE_TIMEOUT_MS = 4 * 3600_000;
const QUIESCE_FAULTS = ["ApplicationQuiesceFault", "FilesystemQuiesceFault", "ToolsUnavailable"];

export function isQuiesceFailure(err: unknown): boolean {
  return (
    isVimFault(err, ...QUIESCE_FAULTS) ||
    (err instanceof VsphereFaultError && /quiesc/i.test(err.serverMessage))
  );
}

/** Quiescing failed and the job does not accept a crash-consistent backup instead. */
export class QuiesceFailedError extends SnapferryError {
  constructor(vm: string, cause: VsphereFaultError) {
    super(
      "vsphere-fault",
      `VM ${vm} could not be quiesced for an application-consistent snapshot: ` +
        `${cause.serverMessage || cause.message}. Nothing was backed up`,
      "Check VMware Tools and the guest's VSS writers or freeze scripts (the guest's event log says which " +
        "failed), or run again with --allow-crash-consistent to accept a crash-consistent backup when quiescing fails.",
      { cause },
    );
  }
}

/** The backup snapshot could not be removed: the VM keeps running on a growing delta disk. */
export class SnapshotRemovalError extends SnapferryError {
  constructor(
    readonly vm: string,
    readonly snapshot: string,
    cause: unknown,
    /** Set when the backup itself succeeded, so the user knows the restore point is good. */
    readonly restorePoint?: string,
  ) {
    const why = cause instanceof Error ? cause.message : String(cause);
    super(
      cause instanceof SnapferryError ? cause.code : "vsphere-fault",
      (restorePoint ? `the backup succeeded (restore point ${restorePoint}), but ` : "") +
        `the backup snapshot ${snapshot} of VM ${vm} could NOT be removed (${why}). It stays on the VM, ` +
        "whose delta disk keeps growing and slowing it down until the snapshot is deleted",
      `Delete it now in the vSphere Client (VM > Snapshots > Manage Snapshots > ${snapshot} > Delete), and ` +
        "consolidate the disks if the VM says so; the next Snapferry backup of this VM also removes it.",
      { cause },
    );
  }
}

async function createSnapshot(
  client: VimClient,
  vm: SnapshotVm,
  options: TakeSnapshotOptions,
  quiesce: boolean,
): Promise<MoRef> {
  const name = snapshotName(options.jobId);
  const answer = await client.invoke(
    "CreateSnapshot_Task",
    {
      _this: vm.ref,
      name,
      description: ownerDescription(currentOwner(options.jobId, new Date())),
      memory: false,
      quiesce,
    },
    options.signal ? { signal: options.signal } : {},
  );
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  const result = await waitForTask(client, task, {
    timeoutMs: options.timeoutMs ?? CREATE_TIMEOUT_MS,
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (!result || result.attributes.type !== "VirtualMachineSnapshot") {
    throw new SnapferryError(
      "vsphere-protocol",
      `the snapshot task of VM ${vm.name} on ${client.server} succeeded without naming the snapshot`,
      "Check the VM's snapshots in the vSphere Client and delete any snapferry-* snapshot left there.",
    );
  }
  return parseMoRef(result, client.server);
}

/** Takes the job's snapshot `snapferry-<job id>`. */
export async function takeBackupSnapshot(
  client: VimClient,
  vm: SnapshotVm,
  options: TakeSnapshotOptions,
): Promise<BackupSnapshot> {
  const name = snapshotName(options.jobId);
  markJobActive(options.jobId, true);
  options.onPhase?.("snapshot");
  if (!options.quiesce) {
    options.note(
      options.poweredOff
        ? `VM ${vm.name} is powered off: its disks hold what its last shutdown left (consistent after a clean shutdown)`
        : `VMware Tools is not running in VM ${vm.name}: taking a crash-consistent snapshot (as if the power had been cut)`,
    );
    return { ref: await createSnapshot(client, vm, options, false), name, consistency: "crash" };
  }
  try {
    return { ref: await createSnapshot(client, vm, options, true), name, consistency: "application" };
  } catch (err) {
    if (!isQuiesceFailure(err) || !(err instanceof VsphereFaultError)) throw err;
    if (!options.allowCrashConsistent) throw new QuiesceFailedError(vm.name, err);
    options.note(
      `quiescing VM ${vm.name} failed (${err.serverMessage || err.message}); ` +
        "taking a crash-consistent snapshot instead, as --allow-crash-consistent allows",
    );
    return { ref: await createSnapshot(client, vm, options, false), name, consistency: "crash" };
  }
}

/**
 * Removes a backup snapshot, consolidating its delta into the disk. Not cancellable: it runs after
 * a cancel too. A snapshot that is already gone counts as removed. `onPhase` hears
 * "snapshot-removal" first, on every path (a failed backup's cleanup included).
 */
export async function removeBackupSnapshot(
  client: VimClient,
  vm: SnapshotVm,
  snapshot: { ref: MoRef; name: string },
  onPhase?: PhaseListener,
): Promise<void> {
  onPhase?.("snapshot-removal");
  try {
    const answer = await client.invoke("RemoveSnapshot_Task", {
      _this: snapshot.ref,
      removeChildren: false,
      consolidate: true,
    });
    const task = parseMoRef(requireReturnval(answer, client.server), client.server);
    await waitForTask(client, task, { timeoutMs: REMOVE_TIMEOUT_MS });
  } catch (err) {
    if (isVimFault(err, "ManagedObjectNotFound")) return;
    throw new SnapshotRemovalError(vm.name, snapshot.name, err);
  }
}

/** The job is over (its snapshot removed, or left to the orphan cleanup). */
export function endJob(jobId: string): void {
  markJobActive(jobId, false);
}
