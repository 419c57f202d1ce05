/**
 * The VirtualMachineConfigSpec of a restored VM, built from the VM configuration record: guest OS,
 * CPUs, memory, firmware, the disk controllers, one new thin disk per recorded disk in its
 * recorded slot, and the NICs whose network exists at the target. vim25 types are XML Schema
 * sequences, so every object below lists its fields in schema order (real ESXi refuses others).
 */
import { SnapferryError } from "../../common/errors.js";
import type { MoRef } from "./moref.js";
import { controllerXsiType, isScsiController, type ControllerType } from "./disk-controllers.js";
import type { SoapObject } from "./soap-envelope.js";
import type { VmConfigRecord } from "./vm-config-record.js";
import { creatableAdapterXsiType } from "./vm-nics.js";

/** A network of the target, by name; a distributed port group also needs its switch's UUID. */
export type TargetNetwork =
  | { kind: "standard"; ref: MoRef }
  | { kind: "distributed"; ref: MoRef; portgroupKey: string; switchUuid: string };

export interface VmCreateTarget {
  name: string;
  datastore: { ref: MoRef; name: string };
  /** Networks reachable from the target host or cluster, by name. */
  networks: ReadonlyMap<string, TargetNetwork>;
  annotation: string;
}

/** A disk as it is created: its slot finds it again in the new VM's device list. */
export interface PlannedDisk {
  /** The restore point's disk index whose data goes into this disk. */
  index: number;
  capacityBytes: number;
  controllerType: ControllerType;
  busNumber: number;
  unitNumber: number;
}

export interface VmCreatePlan {
  spec: SoapObject;
  disks: PlannedDisk[];
  notes: string[];
}

/** Every VM has IDE 0 and IDE 1, created by the server with these keys. */
const IDE_KEYS = [200, 201];

export function buildVmCreateSpec(record: VmConfigRecord, target: VmCreateTarget): VmCreatePlan {
  const notes: string[] = [];
  const controllers = controllerSpecs(record);
  const disks: PlannedDisk[] = record.disks.map((d) => ({
    index: d.index,
    capacityBytes: d.capacityBytes,
    controllerType: d.controllerType,
    busNumber: d.busNumber,
    unitNumber: d.unitNumber,
  }));
  const diskChanges = disks.map((disk, i) => diskSpec(disk, -(2000 + i), controllers.keyOf(disk), target));
  if (record.disks.some((d) => !d.thin)) {
    notes.push(
      "thick-provisioned disks of the source are restored thin; inflate them in the vSphere Client if needed",
    );
  }
  const nicChanges = nicSpecs(record, target.networks, notes);
  const spec: SoapObject = {
    fields: {
      name: target.name,
      guestId: record.guestId,
      annotation: target.annotation,
      files: { fields: { vmPathName: `[${target.datastore.name}]` } },
      numCPUs: record.numCPUs,
      memoryMB: record.memoryMB,
      deviceChange: [...controllers.specs, ...diskChanges, ...nicChanges],
      firmware: record.firmware,
    },
  };
  return { spec, disks, notes };
}

interface ControllerPlan {
  specs: SoapObject[];
  keyOf(disk: PlannedDisk): number;
}

/** One controller per (type, bus) the disks use; IDE disks go on the server's own IDE controllers. */
function controllerSpecs(record: VmConfigRecord): ControllerPlan {
  const keys = new Map<string, number>();
  const specs: SoapObject[] = [];
  const slot = (type: ControllerType, bus: number): string => `${type}:${bus}`;
  for (const disk of record.disks) {
    const id = slot(disk.controllerType, disk.busNumber);
    if (keys.has(id)) continue;
    if (disk.controllerType === "ide") {
      const key = IDE_KEYS[disk.busNumber];
      if (key === undefined) throw badSlot(`IDE bus ${disk.busNumber}`);
      keys.set(id, key);
      continue;
    }
    const key = -(1000 + specs.length);
    keys.set(id, key);
    specs.push(addDevice(controllerDevice(disk.controllerType, key, disk.busNumber)));
  }
  return {
    specs,
    keyOf: (disk) => keys.get(slot(disk.controllerType, disk.busNumber)) ?? 0,
  };
}

function controllerDevice(type: ControllerType, key: number, busNumber: number): SoapObject {
  return {
    xsiType: controllerXsiType(type),
    fields: {
      key,
      busNumber,
      // Virtual SCSI buses are never shared between VMs for a restored disk.
      ...(isScsiController(type) ? { sharedBus: "noSharing" } : {}),
    },
  };
}

function diskSpec(disk: PlannedDisk, key: number, controllerKey: number, target: VmCreateTarget): SoapObject {
  if (disk.capacityBytes <= 0 || disk.capacityBytes % 1024 !== 0) {
    throw badSlot(`a capacity of ${disk.capacityBytes} bytes for disk ${disk.index}`);
  }
  return {
    fields: {
      operation: "add",
      fileOperation: "create",
      device: {
        xsiType: "VirtualDisk",
        fields: {
          key,
          backing: {
            xsiType: "VirtualDiskFlatVer2BackingInfo",
            fields: {
              // An empty file name on a datastore puts the disk in the new VM's own folder.
              fileName: "",
              datastore: target.datastore.ref,
              diskMode: "persistent",
              thinProvisioned: true,
            },
          },
          controllerKey,
          unitNumber: disk.unitNumber,
          capacityInKB: disk.capacityBytes / 1024,
          capacityInBytes: disk.capacityBytes,
        },
      },
    },
  };
}

function nicSpecs(
  record: VmConfigRecord,
  networks: ReadonlyMap<string, TargetNetwork>,
  notes: string[],
): SoapObject[] {
  const specs: SoapObject[] = [];
  for (const [i, nic] of record.nics.entries()) {
    const network = networks.get(nic.network);
    if (!network) {
      notes.push(
        `network adapter ${i + 1} is left out: the target has no network "${nic.network}"; add one in the vSphere Client`,
      );
      continue;
    }
    const type = creatableAdapterXsiType(nic.adapterType);
    if (!type) {
      notes.push(`network adapter ${i + 1} (${nic.adapterType}) is restored as a VMXNET 3 adapter`);
    }
    specs.push(
      addDevice({
        xsiType: type ?? "VirtualVmxnet3",
        fields: {
          key: -(3000 + i),
          backing: nicBacking(nic.network, network),
          connectable: { fields: { startConnected: true, allowGuestControl: true, connected: false } },
          addressType: "generated",
        },
      }),
    );
  }
  return specs;
}

function nicBacking(name: string, network: TargetNetwork): SoapObject {
  if (network.kind === "distributed") {
    return {
      xsiType: "VirtualEthernetCardDistributedVirtualPortBackingInfo",
      fields: {
        port: { fields: { switchUuid: network.switchUuid, portgroupKey: network.portgroupKey } },
      },
    };
  }
  return {
    xsiType: "VirtualEthernetCardNetworkBackingInfo",
    fields: { deviceName: name, network: network.ref },
  };
}

function addDevice(device: SoapObject): SoapObject {
  return { fields: { operation: "add", device } };
}

function badSlot(what: string): SnapferryError {
  return new SnapferryError(
    "corrupt-data",
    `the VM configuration of the restore point has ${what}, which vSphere cannot create`,
    "Restore the disks to files with snapferry restore --target FILE, and attach them to a new VM by hand.",
  );
}
