/**
 * A VM's network adapters, read from its device list by the inventory and the backup alike: the
 * adapter model a restore must recreate and the network each one is attached to, resolved to a
 * name (standard port groups name their network; distributed ones only give the port group key,
 * which the caller's NetworkNamer resolves from what it has read).
 */
import { parseMoRef, type MoRef } from "./moref.js";
import { child, type XmlNode } from "./soap-xml.js";
import { booleanOf, numberOf, textOf } from "./vim-values.js";

export interface VmNic {
  key: number;
  label: string;
  /** e1000, e1000e, vmxnet3, pcnet32, sriov, ...: the vim type without its "Virtual" prefix. */
  adapterType: string;
  /**
   * The network's name; for an unresolved distributed port group "distributed port group KEY", for
   * an NSX opaque network its id. Undefined when the backing names no network at all.
   */
  network: string | undefined;
  macAddress: string | undefined;
  connected: boolean | undefined;
  startConnected: boolean | undefined;
}

export interface NetworkNamer {
  byMoRef(ref: MoRef): string | undefined;
  /** A distributed port group by its key (on vCenter the key is the port group's moref value). */
  byPortgroupKey(key: string): string | undefined;
}

const ADAPTER_TYPES: Readonly<Record<string, string>> = {
  VirtualE1000: "e1000",
  VirtualE1000e: "e1000e",
  VirtualPCNet32: "pcnet32",
  VirtualVmxnet: "vmxnet",
  VirtualVmxnet2: "vmxnet2",
  VirtualVmxnet3: "vmxnet3",
  VirtualVmxnet3Vrdma: "vmxnet3vrdma",
  VirtualSriovEthernetCard: "sriov",
};

/**
 * What a restore may create by itself: an SR-IOV adapter needs a physical function of the target
 * host and a PVRDMA one an RDMA device, which a restore cannot choose for the user.
 */
const CREATABLE: ReadonlySet<string> = new Set([
  "e1000",
  "e1000e",
  "pcnet32",
  "vmxnet",
  "vmxnet2",
  "vmxnet3",
]);

export function readNics(devices: readonly XmlNode[], networks: NetworkNamer, server: string): VmNic[] {
  const nics: VmNic[] = [];
  for (const device of devices) {
    const adapterType = ADAPTER_TYPES[device.xsiType ?? ""];
    if (adapterType === undefined) continue;
    const connectable = child(device, "connectable");
    nics.push({
      key: numberOf(device, "key") ?? -1,
      label: textOf(child(device, "deviceInfo"), "label") ?? "",
      adapterType,
      network: networkOf(child(device, "backing"), networks, server),
      macAddress: textOf(device, "macAddress") || undefined,
      connected: booleanOf(connectable, "connected"),
      startConnected: booleanOf(connectable, "startConnected"),
    });
  }
  return nics;
}

/** The vim device type a restore creates for an adapter type; undefined when it cannot create one. */
export function creatableAdapterXsiType(adapterType: string): string | undefined {
  const type = adapterType.toLowerCase();
  if (!CREATABLE.has(type)) return undefined;
  return Object.keys(ADAPTER_TYPES).find((xsi) => ADAPTER_TYPES[xsi] === type);
}

function networkOf(backing: XmlNode | undefined, networks: NetworkNamer, server: string): string | undefined {
  const network = child(backing, "network");
  const byRef = network ? networks.byMoRef(parseMoRef(network, server)) : undefined;
  if (byRef !== undefined) return byRef;
  const deviceName = textOf(backing, "deviceName");
  if (deviceName) return deviceName;
  const portgroupKey = textOf(child(backing, "port"), "portgroupKey");
  if (portgroupKey) return networks.byPortgroupKey(portgroupKey) ?? `distributed port group ${portgroupKey}`;
  return textOf(backing, "opaqueNetworkId") || undefined;
}
