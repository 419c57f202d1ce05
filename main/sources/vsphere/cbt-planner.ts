/**
 * Decides, disk by disk, what a vSphere backup reads once its parent restore point is known. A full
 * backup asks CBT for the allocated areas ("*") and skips the rest as holes. An incremental or
 * differential asks what changed since the parent's change id. When CBT cannot answer (it was
 * reset, the disk was resized or replaced, CBT was off), the disk is read whole and only new chunks
 * are stored: slower, never wrong. Each fallback is said in a note.
 */
import type { ByteRange } from "../../engines/changed-ranges.js";
import type { DiskOrigin, DiskRecord, RestorePoint } from "../../repository/restore-point.js";
import type { DiskSource } from "../disk-source.js";
import { ALL_ALLOCATED, allocationFromAreas, queryChangedAreas } from "./changed-areas.js";
import type { MoRef } from "./moref.js";
import type { VimClient } from "./vim-client.js";
import type { VmDisk } from "./vm-disks.js";
import { VsphereFaultError } from "./vsphere-errors.js";

export interface PlannedDisk {
  index: number;
  /** The disk as the snapshot has it (its change id is the snapshot's). */
  disk: VmDisk;
  source: DiskSource;
}

export interface CbtContext {
  client: VimClient;
  vm: MoRef;
  snapshot: MoRef;
  /** CBT is on for the VM. */
  cbt: boolean;
  signal?: AbortSignal;
}

/** ESXi's answers to a change id from before a CBT reset, or to a snapshot taken with CBT off. */
const RESET_FAULTS = ["InvalidArgument", "FileFault"];

export async function planDiskReads(
  ctx: CbtContext,
  disks: readonly PlannedDisk[],
  parent: RestorePoint | null,
  note: (text: string) => void,
): Promise<void> {
  for (const planned of disks) {
    if (!ctx.cbt) continue; // the pre-checks said so already
    if (planned.disk.changeId === undefined) {
      note(`${label(planned)} reports no CBT change id yet: reading the whole disk and comparing hashes`);
      continue;
    }
    if (parent === null) {
      await useAllocation(ctx, planned, note, true);
      continue;
    }
    const reason = incompatibility(planned, parent.disks[planned.index]);
    if (reason) {
      note(`${label(planned)}: ${reason}; reading the whole disk and comparing hashes`);
      await useAllocation(ctx, planned, note, false);
      continue;
    }
    await useChangedAreas(ctx, planned, parent.disks[planned.index]?.origin?.changeId ?? ALL_ALLOCATED, note);
  }
}

/**
 * What changed on a disk since the state an interrupted backup read (its `origin`), for a resume
 * that reads this snapshot instead. Undefined, with a note, when CBT cannot say.
 */
export async function changedSinceOrigin(
  ctx: CbtContext,
  planned: PlannedDisk,
  origin: DiskOrigin,
  note: (text: string) => void,
): Promise<ByteRange[] | undefined> {
  const redo = (why: string): undefined => {
    note(`${label(planned)}: ${why}; its finished segments are read again`);
    return undefined;
  };
  if (origin.deviceKey !== planned.disk.key) {
    return redo(
      `it is another virtual disk than in the interrupted backup (device key ${planned.disk.key}, was ${origin.deviceKey ?? "unknown"})`,
    );
  }
  if (!ctx.cbt || planned.disk.changeId === undefined || !origin.changeId)
    return redo("CBT cannot say what changed since the interrupted backup (it was off or had no change id)");
  try {
    return await query(ctx, planned, origin.changeId);
  } catch (err) {
    if (!(err instanceof VsphereFaultError)) throw err;
    return redo(
      RESET_FAULTS.includes(err.faultType)
        ? "CBT was reset since the interrupted backup"
        : `CBT could not say what changed since the interrupted backup (${err.message})`,
    );
  }
}

function label(planned: PlannedDisk): string {
  return `disk ${planned.index} (${planned.disk.label})`;
}

/** Why the parent's change id cannot be used for this disk, or undefined when it can. */
function incompatibility(planned: PlannedDisk, before: DiskRecord | undefined): string | undefined {
  const { disk } = planned;
  if (!before) return "it is new since the previous backup";
  if (before.origin?.deviceKey !== disk.key) {
    return `it is another virtual disk than in the previous backup (device key ${disk.key}, was ${before.origin?.deviceKey ?? "unknown"})`;
  }
  if (before.size !== disk.capacityBytes) {
    return `it was resized (from ${before.size} to ${disk.capacityBytes} bytes), which resets CBT`;
  }
  if (!before.origin.changeId) return "the previous backup has no CBT change id for it (CBT was off then)";
  return undefined;
}

async function useChangedAreas(
  ctx: CbtContext,
  planned: PlannedDisk,
  changeId: string,
  note: (text: string) => void,
): Promise<void> {
  try {
    planned.source.changedRanges = await query(ctx, planned, changeId);
  } catch (err) {
    if (!(err instanceof VsphereFaultError)) throw err;
    const why = RESET_FAULTS.includes(err.faultType)
      ? "CBT was reset"
      : `CBT could not say what changed (${err.message})`;
    note(`${why} on ${label(planned)}: reading the whole disk and comparing hashes`);
    await useAllocation(ctx, planned, note, false);
  }
}

/**
 * Skips unallocated areas ("*"); a thick disk simply reports everything. When even that fails the
 * whole disk is read (`loud`: say so, for a full backup where nothing was said yet).
 */
async function useAllocation(
  ctx: CbtContext,
  planned: PlannedDisk,
  note: (text: string) => void,
  loud: boolean,
): Promise<void> {
  try {
    const areas = await query(ctx, planned, ALL_ALLOCATED);
    planned.source.allocation = async function* () {
      yield* allocationFromAreas(areas, planned.disk.capacityBytes);
    };
  } catch (err) {
    if (!(err instanceof VsphereFaultError)) throw err;
    if (loud)
      note(`CBT could not list the allocated areas of ${label(planned)} (${err.message}): reading it all`);
  }
}

function query(ctx: CbtContext, planned: PlannedDisk, changeId: string) {
  return queryChangedAreas(ctx.client, {
    vm: ctx.vm,
    snapshot: ctx.snapshot,
    deviceKey: planned.disk.key,
    capacityBytes: planned.disk.capacityBytes,
    changeId,
    ...(ctx.signal ? { signal: ctx.signal } : {}),
  });
}
