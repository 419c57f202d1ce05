/**
 * What a backup must know about a VM before it takes a snapshot, read in one PropertyCollector
 * call: identity, hardware, where it runs and stores its files, VMware Tools, CBT and the snapshot
 * tree (with each snapshot's description, where Snapferry records which job made it).
 *
 * Not the inventory's VmDetails: those name every place (host, cluster, pool) from a whole-site
 * read and leave unknowns undefined for display, whereas a backup reads one VM, needs morefs to act
 * on, and must refuse what it cannot record (no instance UUID) or fill the record's defaults. The
 * device list and the snapshot tree are read by the same code as the inventory's.
 */
import { SnapferryError } from "../../common/errors.js";
import { parseMoRef, parseMoRefs, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import { readSnapshotInfo, type VmSnapshotInfo } from "./snapshot-tree.js";
import type { XmlNode } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";
import { booleanOf, numberOf } from "./vim-values.js";
import type { VmSettings } from "./vm-config-record.js";

export interface VmState extends VmSettings, VmSnapshotInfo {
  ref: MoRef;
  powerState: string;
  changeTrackingEnabled: boolean;
  /** "[datastore] folder/vm.vmx". */
  vmxPath: string | undefined;
  host: MoRef | undefined;
  datastores: MoRef[];
  networks: MoRef[];
  toolsRunning: boolean;
  /** The `config.hardware.device` value: read with vm-disks.ts and vm-nics.ts. */
  devices: XmlNode | undefined;
}

const VM_PATHS = [
  "name",
  "config.instanceUuid",
  "config.guestId",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.firmware",
  "config.hardware.device",
  "config.changeTrackingEnabled",
  "config.files.vmPathName",
  "runtime.host",
  "runtime.powerState",
  "datastore",
  "network",
  "guest.toolsRunningStatus",
  "snapshot",
] as const;

export async function readVmState(client: VimClient, ref: MoRef, signal?: AbortSignal): Promise<VmState> {
  const { props, missing } = await retrieveProperties(client, ref, VM_PATHS, signal ? { signal } : {});
  const failed = missing.find((m) => m.path !== "snapshot" && m.path !== "guest.toolsRunningStatus");
  if (failed) throw failed.fault;
  const value = (path: string): string | undefined => props.get(path)?.text;
  const name = value("name") ?? ref.value;
  const instanceUuid = value("config.instanceUuid");
  if (!instanceUuid) {
    throw new SnapferryError(
      "vsphere-protocol",
      `VM ${name} on ${client.server} has no instance UUID`,
      "The VM's configuration may be unreadable (an orphaned or inaccessible VM); check it in the vSphere Client.",
    );
  }
  const host = props.get("runtime.host");
  return {
    ref,
    name,
    instanceUuid,
    guestId: value("config.guestId") ?? "otherGuest64",
    numCPUs: numberOf(props.get("config.hardware.numCPU")) || 1,
    memoryMB: numberOf(props.get("config.hardware.memoryMB")) || 1024,
    firmware: value("config.firmware") === "efi" ? "efi" : "bios",
    powerState: value("runtime.powerState") ?? "unknown",
    changeTrackingEnabled: booleanOf(props.get("config.changeTrackingEnabled")) ?? false,
    vmxPath: value("config.files.vmPathName") || undefined,
    host: host ? parseMoRef(host, client.server) : undefined,
    datastores: parseMoRefs(props.get("datastore"), client.server),
    networks: parseMoRefs(props.get("network"), client.server),
    toolsRunning: value("guest.toolsRunningStatus") === "guestToolsRunning",
    devices: props.get("config.hardware.device"),
    ...readSnapshotInfo(props.get("snapshot"), name, client.server),
  };
}
