/** The restore wizard's choices, checked, and turned into the target jobs.restore takes. */
import type { CatalogRestorePoint } from "../../../main/catalog/catalog-api";
import type { ApiInput, DISK_FORMATS } from "../../../preload/contract";
import { formatTime } from "./format";

export type DiskFormat = (typeof DISK_FORMATS)[number];
export type TargetKind = "file" | "vsphere-new" | "vsphere-original";
export type RestoreTarget = ApiInput<"jobs.restore">["target"];

export interface RestorePlan {
  /** A disk index, or "all" for the whole VM. */
  disk: number | "all";
  kind: TargetKind;
  path: string;
  format: DiskFormat;
  sourceId: string;
  placement: string;
  datastore: string;
  name: string;
  powerOn: boolean;
  confirmOverwrite: boolean;
}

export const FORMAT_LABELS: Record<DiskFormat, string> = {
  raw: "raw image (.img)",
  vmdk: "VMDK, monolithic sparse (VMware Workstation)",
  "vmdk-stream": "VMDK, stream-optimized (OVF/OVA)",
  "vmdk-flat": "VMDK, flat (ESXi)",
  qcow2: "qcow2 (QEMU/KVM, Proxmox)",
  vhdx: "VHDX (Hyper-V)",
};

export function emptyPlan(point: CatalogRestorePoint | undefined): RestorePlan {
  return {
    disk: "all",
    kind: "file",
    path: "",
    format: "qcow2",
    sourceId: "",
    placement: "",
    datastore: "",
    name: point?.vmName ? `${point.vmName}-restored` : "",
    powerOn: false,
    confirmOverwrite: false,
  };
}

/** The original place is a vSphere VM: only a vSphere backup has one to write back to. */
export function canRestoreToOriginal(point: CatalogRestorePoint): boolean {
  return point.sourceKind === "vsphere";
}

/** What the user must still do before the plan can run, or null when it is complete. */
export function planProblem(plan: RestorePlan): string | null {
  switch (plan.kind) {
    case "file":
      return plan.path.trim() ? null : "Type the path of the file to write.";
    case "vsphere-new":
      if (!plan.sourceId) return "Choose the vSphere server.";
      if (!plan.placement) return "Choose a host or cluster.";
      if (!plan.datastore) return "Choose a datastore.";
      return plan.name.trim() ? null : "Name the new VM.";
    case "vsphere-original":
      return plan.confirmOverwrite ? null : "Confirm that the original disks may be overwritten.";
  }
}

export function targetOf(plan: RestorePlan): RestoreTarget | null {
  if (planProblem(plan)) return null;
  const disk = plan.disk === "all" ? {} : { disk: plan.disk };
  switch (plan.kind) {
    case "file":
      return { kind: "file", path: plan.path.trim(), format: plan.format, ...disk };
    case "vsphere-new":
      return {
        kind: "vsphere-new",
        sourceId: plan.sourceId,
        placement: plan.placement,
        datastore: plan.datastore,
        name: plan.name.trim(),
        powerOn: plan.powerOn,
      };
    case "vsphere-original":
      return { kind: "vsphere-original", confirmOverwrite: true, ...disk };
  }
}

/** What a restore to the original location overwrites, in words. */
export function overwriteSummary(point: CatalogRestorePoint, disk: number | "all"): string {
  const vm = point.vmName ?? point.source;
  const disks = point.disks.filter((d) => disk === "all" || d.index === disk).map((d) => d.name);
  const what =
    disk === "all" ? `all ${disks.length} disks (${disks.join(", ")})` : `disk ${disks.join(", ")}`;
  return `This overwrites ${what} of VM ${vm} at ${point.source} with their state of ${formatTime(point.time)}. Everything written to them since is lost.`;
}
