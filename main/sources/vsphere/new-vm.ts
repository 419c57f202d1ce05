/**
 * The life of a VM a restore creates: the name checked free in its folder, CreateVM_Task, its disks
 * as the server made them, power on, and Destroy_Task when the restore fails. Deleting after a
 * failure retries for a while, since the failure itself may have been a network cut.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { SnapferryError, UsageError } from "../../common/errors.js";
import { sameInventoryName } from "./inventory-names.js";
import { parseMoRef, type MoRef } from "./moref.js";
import type { Placement } from "./placement.js";
import { retrieveFromContainer, retrieveProperties } from "./property-collector.js";
import type { SoapObject } from "./soap-envelope.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { checkReadable, deviceList, readDisks, type VmDisk } from "./vm-disks.js";
import { isVimFault } from "./vsphere-errors.js";

const CREATE_TIMEOUT_MS = 10 * 60_000;
const POWER_TIMEOUT_MS = 5 * 60_000;
const DESTROY_TIMEOUT_MS = 5 * 60_000;
/** How long a failed restore keeps trying to delete its half-made VM (the network may come back). */
const CLEANUP_PATIENCE_MS = 60_000;
/** vSphere's limit on entity names. */
const MAX_NAME_LENGTH = 80;

export function checkVmName(name: string): void {
  if (name.trim() === "" || name.length > MAX_NAME_LENGTH || /[/\\\p{Cc}]/u.test(name)) {
    throw new UsageError(
      `"${name}" cannot be the name of the restored VM`,
      `Give --name a name of 1 to ${MAX_NAME_LENGTH} characters without "/", "\\" or control characters.`,
    );
  }
}

/** Refuses a name another VM (or template) already has in the folder, before anything is created. */
export async function refuseTakenName(
  client: VimClient,
  folder: MoRef,
  name: string,
  where: string,
  signal?: AbortSignal,
): Promise<void> {
  const present = await retrieveFromContainer(client, {
    container: folder,
    types: { VirtualMachine: ["name"] },
    recursive: false,
    signal,
  });
  const clash = present.find((vm) => sameInventoryName(vm.props.get("name")?.text ?? "", name));
  if (clash) {
    throw new SnapferryError(
      "target",
      `a VM named "${name}" already exists in the VM folder of ${where}; nothing was created`,
      "Choose another name with --name, or rename or remove the existing VM first.",
    );
  }
}

export async function createVm(
  client: VimClient,
  placement: Placement,
  config: SoapObject,
  signal?: AbortSignal,
): Promise<MoRef> {
  const answer = await client.invoke(
    "CreateVM_Task",
    {
      _this: placement.datacenter.vmFolder,
      config,
      pool: placement.resourcePool,
      host: placement.host?.ref,
    },
    { signal },
  );
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  const result = await waitForTask(client, task, { timeoutMs: CREATE_TIMEOUT_MS, signal });
  if (!result) {
    throw new SnapferryError(
      "vsphere-protocol",
      `CreateVM_Task on ${client.server} succeeded without naming the new VM`,
      "Look for the VM in the vSphere Client; remove it if it is incomplete.",
    );
  }
  return parseMoRef(result, client.server);
}

export interface CreatedVm {
  /** "[LocalDS_0] name/name.vmx". */
  vmPathName: string;
  disks: VmDisk[];
}

export async function readCreatedVm(client: VimClient, vm: MoRef, name: string): Promise<CreatedVm> {
  const { props } = await retrieveProperties(client, vm, [
    "config.files.vmPathName",
    "config.hardware.device",
  ]);
  const disks = readDisks(deviceList(props.get("config.hardware.device")), { server: client.server });
  checkReadable(disks, name, client.server);
  return { vmPathName: props.get("config.files.vmPathName")?.text ?? "", disks };
}

export async function powerOnVm(client: VimClient, vm: MoRef, host: MoRef | undefined): Promise<void> {
  const answer = await client.invoke("PowerOnVM_Task", { _this: vm, host });
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  await waitForTask(client, task, { timeoutMs: POWER_TIMEOUT_MS });
}

/**
 * Deletes the VM and its files. Network failures are retried with a growing pause for up to
 * CLEANUP_PATIENCE_MS; returns why it could not be deleted, or undefined when it was.
 */
export async function destroyVm(client: VimClient, vm: MoRef): Promise<string | undefined> {
  const deadline = Date.now() + CLEANUP_PATIENCE_MS;
  let pause = 500;
  for (;;) {
    try {
      const answer = await client.invoke("Destroy_Task", { _this: vm }, { timeoutMs: 30_000 });
      const task = parseMoRef(requireReturnval(answer, client.server), client.server);
      await waitForTask(client, task, { timeoutMs: DESTROY_TIMEOUT_MS });
      return undefined;
    } catch (err) {
      // A repeated Destroy_Task after a cut may find the first one already did the work.
      if (isVimFault(err, "ManagedObjectNotFound")) return undefined;
      const passing =
        err instanceof SnapferryError && (err.code === "network" || err.code === "vsphere-timeout");
      if (!passing || Date.now() + pause > deadline) return err instanceof Error ? err.message : String(err);
      await sleep(pause);
      pause = Math.min(5_000, pause * 2);
    }
  }
}
