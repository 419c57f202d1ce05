/**
 * What an in-place restore that failed says about the VM it leaves: the original error, followed
 * by the VM's state and where every file is, so an admin knows what to check and what to delete.
 */
import { SnapferryError } from "../common/errors.js";
import { formatDatastorePath } from "../sources/vsphere/datastore-http.js";
import { filesOf } from "../sources/vsphere/vm-disk-files.js";
import type { OriginalRestorePlan } from "./vsphere-original-plan.js";

/** The error, its message ending with what became of the VM. */
export function withFate(err: unknown, fate: string): SnapferryError {
  if (!(err instanceof SnapferryError)) {
    const message = err instanceof Error ? err.message : String(err);
    return new SnapferryError("internal", `${message}; ${fate}`, undefined, { cause: err });
  }
  return new SnapferryError(err.code, `${err.message}; ${fate}`, err.hint, { cause: err });
}

/**
 * The reconfiguration failed and its outcome is not "nothing changed": some disks may use the new
 * files, or what they use could not be read. Nothing is deleted then, and the VM stays off.
 */
export function explainSwapFailure(
  plan: OriginalRestorePlan,
  attached: ReadonlyMap<number, string> | undefined,
  failure: unknown,
): SnapferryError {
  const reason =
    failure === undefined
      ? "it reported success, yet the disks do not all use their restored files"
      : failure instanceof Error
        ? failure.message
        : String(failure);
  const disks = plan.disks.map((d) => {
    const now = attached?.get(d.disk.key);
    const restored = formatDatastorePath(d.newDescriptor);
    const uses =
      now === undefined
        ? `could not be read (it uses either ${d.disk.file}, the old data, or ${restored}, the restored data)`
        : now === restored
          ? `uses ${restored} (the restored data)`
          : now === d.disk.file
            ? `uses ${now} (the old data)`
            : `uses ${now}`;
    return `disk ${d.data.index} (${d.disk.label}) ${uses}`;
  });
  const oldFiles = plan.disks.flatMap((d) => filesOf(d.old)).map(formatDatastorePath);
  const newFiles = plan.disks.flatMap((d) => [d.newDescriptor, d.newFlat]).map(formatDatastorePath);
  return new SnapferryError(
    failure instanceof SnapferryError ? failure.code : "vsphere-fault",
    `reconfiguring VM ${plan.vm.name} on ${plan.server} to use its restored disks failed (${reason}): ` +
      `${disks.join("; ")}. The VM is left powered off, and every file is kept: the old ones ` +
      `(${oldFiles.join(", ")}) and the restored ones (${newFiles.join(", ")})`,
    "Open the VM's settings in the vSphere Client and check which file each disk uses (point it at the restored " +
      "-snapferry-" +
      plan.jobId +
      " file to finish the restore, or at the old one to undo it); then delete the files no disk uses and power the VM on.",
    { cause: failure },
  );
}
