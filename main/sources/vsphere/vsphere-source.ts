/**
 * A VM on an ESXi host or a vCenter as a backup source. Opening it finds the VM, removes snapshots
 * left by dead jobs, checks that a backup can run, takes the backup snapshot and opens each disk's
 * base file on the datastore. Closing it always removes the snapshot, then logs out. The source
 * owns the client: it closes it on every path, a failed open included.
 */
import { createHash, randomBytes } from "node:crypto";
import path from "node:path";
import type { PhaseListener } from "../../engines/progress.js";
import type { RestorePoint } from "../../repository/restore-point.js";
import type { BackupSource, DiskSource } from "../disk-source.js";
import { checkBeforeSnapshot, disksToBackUp } from "./backup-checks.js";
import { changedSinceOrigin, planDiskReads, type CbtContext, type PlannedDisk } from "./cbt-planner.js";
import { flatExtentOf, parseDatastorePath, readSmallFile } from "./datastore-http.js";
import { DatastoreRangeReader, type RetryPolicy } from "./datastore-reader.js";
import { retrieveProperties } from "./property-collector.js";
import { cleanupOrphanSnapshots } from "./snapshot-cleanup.js";
import {
  endJob,
  removeBackupSnapshot,
  takeBackupSnapshot,
  SnapshotRemovalError,
  type BackupSnapshot,
} from "./snapshot-engine.js";
import { snapshotName } from "./snapshot-owner.js";
import { allSnapshots } from "./snapshot-tree.js";
import type { VimClient } from "./vim-client.js";
import { serializeVmConfigRecord, VM_CONFIG_FILE } from "./vm-config-record.js";
import { deviceList, readDisks, type VmDisk } from "./vm-disks.js";
import { findVm, type VmLocation } from "./vm-lookup.js";
import { buildVmConfigRecord } from "./vm-record-builder.js";
import { readVmState, type VmState } from "./vm-state.js";
import type { VsphereLocation } from "./vsphere-url.js";

export interface VsphereSourceOptions {
  location: VsphereLocation;
  /** Names the snapshot `snapferry-<job id>`; random by default. */
  jobId?: string;
  /** Switch CBT on when it is off. */
  enableCbt?: boolean;
  /** A failed quiesce may be retried crash-consistent. */
  allowCrashConsistent?: boolean;
  note: (text: string) => void;
  /** Hears "snapshot" while the backup snapshot is taken and "snapshot-removal" while it goes. */
  onPhase?: PhaseListener;
  signal?: AbortSignal;
  retry?: RetryPolicy;
}

export interface VsphereBackupSource extends BackupSource {
  readonly vm: VmLocation;
  readonly snapshot: BackupSnapshot;
}

interface Opened {
  jobId: string;
  client: VimClient;
  vm: VmLocation;
  state: VmState;
  snapshot: BackupSnapshot;
  cbt: boolean;
  options: VsphereSourceOptions;
}

export function newJobId(): string {
  return randomBytes(6).toString("hex");
}

/** Opens the VM named by `options.location` for a backup. Takes ownership of `client`. */
export async function openVsphereSource(
  client: VimClient,
  options: VsphereSourceOptions,
): Promise<VsphereBackupSource> {
  try {
    const vm = await findVm(client, options.location.path, options.signal);
    const state = await prepareVm(client, vm, options);
    const { cbt } = await checkBeforeSnapshot(client, state, {
      enableCbt: options.enableCbt ?? false,
      note: options.note,
      ...(options.signal ? { signal: options.signal } : {}),
    });
    const jobId = options.jobId ?? newJobId();
    const snapshot = await takeSnapshot(client, state, jobId, options);
    const opened = { jobId, client, vm, state, snapshot, cbt, options };
    try {
      return await buildSource(opened);
    } catch (err) {
      await removeQuietly(opened);
      endJob(jobId);
      throw err;
    }
  } catch (err) {
    await client.close();
    throw err;
  }
}

/** The VM's state once snapshots of dead jobs are gone. */
async function prepareVm(client: VimClient, vm: VmLocation, options: VsphereSourceOptions): Promise<VmState> {
  const state = await readVmState(client, vm.ref, options.signal);
  const cleaned = await cleanupOrphanSnapshots(client, vm, state.rootSnapshots, { note: options.note });
  return cleaned.removed.length > 0 ? readVmState(client, vm.ref, options.signal) : state;
}

/** Takes the snapshot; if that fails half-way (a timeout, a cancel), removes whatever was made. */
async function takeSnapshot(
  client: VimClient,
  state: VmState,
  jobId: string,
  options: VsphereSourceOptions,
): Promise<BackupSnapshot> {
  const poweredOff = state.powerState === "poweredOff";
  try {
    return await takeBackupSnapshot(client, state, {
      jobId,
      poweredOff,
      quiesce: state.toolsRunning && !poweredOff,
      allowCrashConsistent: options.allowCrashConsistent ?? false,
      note: options.note,
      ...(options.onPhase ? { onPhase: options.onPhase } : {}),
      ...(options.signal ? { signal: options.signal } : {}),
    });
  } catch (err) {
    const name = snapshotName(jobId);
    const after = await readVmState(client, state.ref).catch(() => undefined);
    for (const made of allSnapshots(after?.rootSnapshots ?? []).filter((s) => s.name === name)) {
      await removeQuietly({
        client,
        state,
        snapshot: { ref: made.ref, name, consistency: "crash" },
        options,
      });
    }
    endJob(jobId);
    throw err;
  }
}

async function removeQuietly(
  opened: Pick<Opened, "client" | "state" | "snapshot" | "options">,
): Promise<void> {
  try {
    await removeBackupSnapshot(opened.client, opened.state, opened.snapshot, opened.options.onPhase);
    opened.options.note(`removed the backup snapshot ${opened.snapshot.name} of VM ${opened.state.name}`);
  } catch (err) {
    opened.options.note(`WARNING: ${err instanceof Error ? err.message : String(err)}`);
  }
}

async function buildSource(opened: Opened): Promise<VsphereBackupSource> {
  const { client, state, snapshot, options } = opened;
  const { props } = await retrieveProperties(client, snapshot.ref, ["config.hardware.device"]);
  const all = readDisks(deviceList(props.get("config.hardware.device")), { server: client.server });
  const disks = disksToBackUp(all, state.name, client.server, options.note);
  const diskNames = names(disks);
  const planned: PlannedDisk[] = [];
  for (const [index, disk] of disks.entries()) {
    planned.push({ index, disk, source: await openDisk(opened, disk, index, diskNames[index] ?? "") });
  }
  const record = await buildVmConfigRecord(client, state, disks, options.note);
  return assemble(opened, planned, {
    [VM_CONFIG_FILE]: serializeVmConfigRecord(record),
    ...(await vmxFile(opened)),
  });
}

/** Disk file names, made unique when two disks share one (same name in two folders). */
function names(disks: readonly VmDisk[]): string[] {
  const base = disks.map((d) => path.posix.basename(parseDatastorePath(d.file).path));
  return base.map((name, i) =>
    base.indexOf(name) === i ? name : `${path.posix.parse(name).name}-${disks[i]?.key ?? i}.vmdk`,
  );
}

async function openDisk(opened: Opened, disk: VmDisk, index: number, name: string): Promise<DiskSource> {
  const { client, vm, options } = opened;
  const label = `disk ${index} (${disk.label})`;
  const descriptor = parseDatastorePath(disk.file);
  const flat = await flatExtentOf(client, vm.datacenterPath, descriptor, label);
  const reader = await DatastoreRangeReader.open({
    client,
    datacenterPath: vm.datacenterPath,
    file: flat,
    label,
    ...(options.retry ? { retry: options.retry } : {}),
    ...(options.signal ? { signal: options.signal } : {}),
  });
  if (reader.fileSize < disk.capacityBytes) {
    options.note(
      `${reader.where} holds ${reader.fileSize} bytes, less than the disk's ${disk.capacityBytes}: the rest reads as zeros`,
    );
  }
  return {
    name,
    size: disk.capacityBytes,
    read: (offset, target) => reader.read(offset, target),
    origin: {
      deviceKey: disk.key,
      ...(disk.changeId ? { changeId: disk.changeId } : {}),
      file: disk.file,
    },
  };
}

/** The VM's .vmx, for a restore to consult; best effort, since the record has what a restore needs. */
async function vmxFile(opened: Opened): Promise<Record<string, Buffer>> {
  const { client, state, vm } = opened;
  if (!state.vmxPath) return {};
  try {
    const file = parseDatastorePath(state.vmxPath);
    const data = await readSmallFile(client, vm.datacenterPath, file);
    return data ? { [path.posix.basename(file.path)]: data } : {};
  } catch (err) {
    opened.options.note(
      `the VM's .vmx could not be read (${err instanceof Error ? err.message : String(err)})`,
    );
    return {};
  }
}

/** Identifies the disks' state: equal change ids mean equal data, else this snapshot alone. */
function fingerprintOf(opened: Opened, planned: readonly PlannedDisk[]): string {
  const tracked = planned.every((p) => p.disk.changeId !== undefined);
  const state = {
    vm: opened.state.instanceUuid,
    disks: planned.map((p) => [p.disk.key, p.disk.capacityBytes, p.disk.changeId ?? null]),
    snapshot: tracked ? null : opened.snapshot.ref.value,
  };
  return createHash("sha256").update(JSON.stringify(state)).digest("hex");
}

function locationText(opened: Opened): string {
  const { host, port } = opened.options.location;
  const shownHost = host.includes(":") ? `[${host}]` : host;
  return `vsphere://${shownHost}:${port}/${opened.vm.inventoryPath.map(encodeURIComponent).join("/")}`;
}

function assemble(
  opened: Opened,
  planned: PlannedDisk[],
  configFiles: Record<string, Buffer>,
): VsphereBackupSource {
  const { client, state, snapshot, options } = opened;
  const cbt: CbtContext = {
    client,
    vm: state.ref,
    snapshot: snapshot.ref,
    cbt: opened.cbt,
    ...(options.signal ? { signal: options.signal } : {}),
  };
  for (const p of planned) p.source.changedSince = (origin, note) => changedSinceOrigin(cbt, p, origin, note);
  let closed = false;
  return {
    vm: opened.vm,
    snapshot,
    info: {
      kind: "vsphere",
      location: locationText(opened),
      vm: { uuid: state.instanceUuid, name: state.name },
    },
    consistency: snapshot.consistency,
    fingerprint: fingerprintOf(opened, planned),
    disks: planned.map((p) => p.source),
    configFiles,
    useParent: (parent: RestorePoint | null, note: (text: string) => void) =>
      planDiskReads(cbt, planned, parent, note),
    close: async () => {
      if (closed) return;
      closed = true;
      try {
        await removeBackupSnapshot(client, state, snapshot, options.onPhase);
        options.note(`removed the backup snapshot ${snapshot.name} of VM ${state.name}`);
      } catch (err) {
        options.note(`WARNING: ${err instanceof Error ? err.message : String(err)}`);
        throw err instanceof SnapshotRemovalError
          ? err
          : new SnapshotRemovalError(state.name, snapshot.name, err);
      } finally {
        endJob(opened.jobId);
        await client.close();
      }
    },
  };
}
