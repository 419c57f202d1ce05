/**
 * Powering a VM off before its disks are replaced, and on again afterwards. The power-off is a hard
 * one (PowerOffVM_Task, not a guest shutdown): the disks are about to be replaced by the backup, so
 * nothing the guest could still flush would survive anyway. A VM found already in the asked state
 * counts as done, since a repeated call after a network cut may find the first one did the work.
 */
import { parseMoRef, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import { waitForTask } from "./tasks.js";
import { requireReturnval, type VimClient } from "./vim-client.js";
import { isVimFault } from "./vsphere-errors.js";

const POWER_TIMEOUT_MS = 5 * 60_000;

export async function powerOffVm(client: VimClient, vm: MoRef): Promise<void> {
  await powerTask(client, vm, "PowerOffVM_Task", "poweredOff");
}

export async function powerOnVm(client: VimClient, vm: MoRef): Promise<void> {
  await powerTask(client, vm, "PowerOnVM_Task", "poweredOn");
}

export async function powerStateOf(client: VimClient, vm: MoRef): Promise<string> {
  const { props } = await retrieveProperties(client, vm, ["runtime.powerState"]);
  return props.get("runtime.powerState")?.text ?? "unknown";
}

async function powerTask(client: VimClient, vm: MoRef, method: string, wanted: string): Promise<void> {
  try {
    const answer = await client.invoke(method, { _this: vm });
    const task = parseMoRef(requireReturnval(answer, client.server), client.server);
    await waitForTask(client, task, { timeoutMs: POWER_TIMEOUT_MS });
  } catch (err) {
    if (isVimFault(err, "InvalidPowerState") && (await powerStateOf(client, vm)) === wanted) return;
    throw err;
  }
}
