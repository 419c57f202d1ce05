/**
 * What a job run does for real, for the job runner (jobs/job-runner.ts): resolve the VMs of its
 * source, back each up through the same services as "Back up now", apply retention to the job's
 * own machines, and copy to its other repositories. Passwords come from the OS keychain (a job
 * runs unattended) or, for the CLI, from what its caller passes in.
 */
import { SnapferryError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import { freeBytes } from "../common/free-space.js";
import type { CatalogRepository, CatalogSource } from "../catalog/catalog-api.js";
import type { JobDeps, VmBackup, VmTarget } from "../jobs/job-runner.js";
import type { JobSettings } from "../jobs/job-settings.js";
import { systemClock, type Clock } from "../jobs/clock.js";
import type { PasswordProvider } from "../repository/repository.js";
import { Repository } from "../repository/repository.js";
import { sourceKey, type RestorePoint } from "../repository/restore-point.js";
import { inventoryPath } from "./app-backup.js";
import { repositoryOf, sourceOf, type AppContext } from "./app-context.js";
import { connectorFor, serverLocation, vsphereSourceOf } from "./app-vsphere.js";
import { copyRestorePoints } from "./copy-service.js";
import { forget, prune } from "./maintenance-service.js";
import { backup, type BackupKind } from "./repository-service.js";
import { backupVsphereVm } from "./vsphere-backup.js";
import { vsphereInventory } from "./vsphere-service.js";
import { vmsWithTag } from "../sources/vsphere/vapi-tags.js";

export interface JobPasswords {
  /** A password for every encrypted repository the job touches, when not from the keychain. */
  repository?: string;
}

export function jobDeps(
  ctx: AppContext,
  settings: JobSettings,
  given: JobPasswords = {},
  clock: Clock = systemClock,
): JobDeps {
  const passwordOf = async (repo: CatalogRepository): Promise<PasswordProvider | undefined> =>
    (await ctx.passwords.forRepository(repo, given.repository)).provider;
  const ref = async (repositoryId: string): Promise<{ repo: string; password?: PasswordProvider }> => {
    const repo = repositoryOf(ctx, repositoryId);
    const password = await passwordOf(repo);
    return { repo: repo.path, ...(password ? { password } : {}) };
  };
  // The job's repository is opened and listed once per run: a VM's own history does not change
  // while the other VMs of the run are backed up.
  let listing: Promise<RestorePoint[]> | undefined;
  const historyOf = async (vm: VmTarget): Promise<RestorePoint[]> => {
    listing ??= ref(settings.repositoryId).then(restorePointsOf);
    const location = sourceLocation(ctx, settings, vm);
    return (await listing).filter((p) => p.source.location === location);
  };
  return {
    clock,
    resolveVms: () => resolveVms(ctx, settings),
    async lastFull(vm) {
      const last = (await historyOf(vm)).filter((p) => p.type === "full").at(-1);
      return last ? new Date(last.time) : null;
    },
    async preCheck(vm, kind) {
      const need = estimateStored(await historyOf(vm), kind);
      const free = await freeBytes(repositoryOf(ctx, settings.repositoryId).path);
      if (need !== null && free !== null && free < need) {
        throw new SnapferryError(
          "disk-full",
          `the repository's disk has ${formatBytes(free)} free, and this ${kind} backup of ${vm.name} is likely to store about ${formatBytes(need)}`,
          "Free space there (forget and prune old restore points, or tighten the job's retention), or move the repository to a larger disk.",
        );
      }
    },
    async backupVm(vm, kind, signal, note) {
      return backupOne(ctx, settings, await ref(settings.repositoryId), vm, kind, signal, note);
    },
    async applyRetention(repositoryId, policy, restorePointIds) {
      const target = await ref(repositoryId);
      const points = await restorePointsOf(target);
      const made = new Set(restorePointIds);
      const keys = [...new Set(points.filter((p) => made.has(p.id)).map((p) => sourceKey(p.source)))];
      if (keys.length === 0) return { removed: 0 };
      const result = await forget({ ...target, policy, dryRun: false, sourceKeys: keys });
      if (result.remove.length > 0) await prune(target);
      return { removed: result.remove.length };
    },
    async copy(fromId, toId, restorePointIds) {
      const results = await copyRestorePoints({
        from: await ref(fromId),
        to: await ref(toId),
        restorePoints: restorePointIds,
      });
      return { copied: results.filter((r) => r.copied).length };
    },
  };
}

async function resolveVms(ctx: AppContext, settings: JobSettings): Promise<VmTarget[]> {
  const source = sourceOf(ctx, settings.sourceId);
  const { selection } = settings;
  if (source.kind !== "vsphere") {
    if (selection.kind !== "source") {
      throw new SnapferryError(
        "config",
        `source ${source.name} is not a vSphere server: a job takes it whole`,
      );
    }
    return [{ key: source.location, name: source.name }];
  }
  if (selection.kind === "vms") {
    return selection.vms.map((path) => ({ key: path, name: inventoryPath(path).at(-1) ?? path }));
  }
  if (selection.kind === "folder" || selection.kind === "tag") return vmsSelected(ctx, source.id, selection);
  throw new SnapferryError(
    "config",
    `a job on vSphere server ${source.name} needs the VMs it backs up`,
    "Choose the VMs of the job, or a folder whose VMs it follows.",
  );
}

/**
 * The VMs in an inventory folder and below it, or carrying a tag, read afresh at each run: a VM
 * added to the folder or tagged is backed up from the next run on, without editing the job.
 * Templates are left out.
 */
async function vmsSelected(
  ctx: AppContext,
  sourceId: string,
  selection: { kind: "folder"; folder: string } | { kind: "tag"; tag: string },
): Promise<VmTarget[]> {
  const vsphere = vsphereSourceOf(ctx, sourceId);
  const client = await (await connectorFor(ctx, vsphere, undefined))();
  try {
    const inventory = await vsphereInventory(client, new Date());
    // Inventory paths may or may not start with "/": compared without it.
    const bare = (p: string): string => p.replace(/^\/+|\/+$/g, "");
    let vms = inventory.vms.filter((vm) => !vm.template);
    if (selection.kind === "folder") {
      const prefix = `${bare(selection.folder)}/`;
      vms = vms.filter((vm) => bare(vm.path).startsWith(prefix));
    } else {
      const tagged = new Set(await vmsWithTag(client, selection.tag));
      vms = vms.filter((vm) => tagged.has(vm.moref.value));
    }
    if (vms.length === 0) {
      const what =
        selection.kind === "folder" ? `the folder ${selection.folder}` : `the tag "${selection.tag}"`;
      throw new SnapferryError(
        "not-found",
        `${what} on ${vsphere.name} holds no VM`,
        selection.kind === "folder"
          ? "Check the job's folder: it is an inventory path like DC/vm/Production."
          : "Tag the VMs in vSphere, or check the tag's name.",
      );
    }
    return vms.map((vm) => ({ key: bare(vm.path), name: vm.name }));
  } finally {
    await client.close();
  }
}

/** What the restore points of `vm` record as their source location (how lastFull finds them). */
function sourceLocation(ctx: AppContext, settings: JobSettings, vm: VmTarget): string {
  const source = sourceOf(ctx, settings.sourceId);
  if (source.kind !== "vsphere") return vm.key;
  return `${vsphereLocationPrefix(source)}${inventoryPath(vm.key).join("/")}`;
}

function vsphereLocationPrefix(source: CatalogSource): string {
  return `vsphere://${serverLocation(source.location).server}/`;
}

/** Whether a restore point's source location is this source: the image itself, or a VM of the server. */
export function isOfSource(source: CatalogSource, location: string): boolean {
  return source.kind === "vsphere"
    ? location.startsWith(vsphereLocationPrefix(source))
    : location === source.location;
}

/**
 * What a backup will likely store, from the same machine's history: the largest of its last three
 * incrementals (or its last full, for a full), with a fifth more for margin; null with no history
 * (the backup's own check, which knows the disk sizes, then applies).
 */
export function estimateStored(points: RestorePoint[], kind: BackupKind): number | null {
  const stored = (p: RestorePoint): number => p.disks.reduce((n, d) => n + (d.stats.bytesStored ?? 0), 0);
  const full = kind === "full" || kind === "active-full";
  const relevant = points.filter((p) => (full ? p.type === "full" : p.type !== "full")).slice(-3);
  const fallback = full ? [] : points.filter((p) => p.type === "full").slice(-1);
  const basis = relevant.length > 0 ? relevant : fallback;
  if (basis.length === 0) return null;
  return Math.ceil(Math.max(...basis.map(stored)) * 1.2);
}

async function restorePointsOf(ref: { repo: string; password?: PasswordProvider }): Promise<RestorePoint[]> {
  return (await (await Repository.open(ref.repo, ref.password)).listRestorePoints()).points;
}

async function backupOne(
  ctx: AppContext,
  settings: JobSettings,
  ref: { repo: string; password?: PasswordProvider },
  vm: VmTarget,
  kind: BackupKind,
  signal: AbortSignal,
  note: (text: string) => void,
): Promise<VmBackup> {
  // Every attempt continues the checkpoint of the one before: a retry never starts from zero.
  const common = { ...ref, type: kind, resume: "if-interrupted" as const, onNote: note, signal };
  const source = sourceOf(ctx, settings.sourceId);
  let rp: RestorePoint;
  const warnings: string[] = [];
  if (source.kind !== "vsphere") {
    rp = await backup({ ...common, source: source.location });
  } else {
    const vsphere = vsphereSourceOf(ctx, source.id);
    rp = await backupVsphereVm({
      ...common,
      location: { ...serverLocation(vsphere.location), path: inventoryPath(vm.key) },
      connect: await connectorFor(ctx, vsphere, undefined),
      allowCrashConsistent: settings.allowCrashConsistent,
      enableCbt: true,
    });
    if (rp.consistency === "crash") {
      warnings.push("the backup is crash-consistent: VMware Tools could not quiesce the guest");
    }
  }
  const sum = (f: (d: RestorePoint["disks"][number]) => number): number =>
    rp.disks.reduce((n, d) => n + f(d), 0);
  return {
    restorePointId: rp.id,
    bytesRead: sum((d) => d.stats.bytesRead),
    bytesStored: sum((d) => d.stats.bytesStored),
    warnings,
  };
}
