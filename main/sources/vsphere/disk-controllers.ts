/**
 * The disk controller families Snapferry knows, by the names the VM configuration record stores
 * (the same as VMware's own .vmx spelling), and the vim device types behind them: read from a
 * VM's device list by the inventory and the backup, validated in a stored record, and created
 * again by a restore.
 */

export const CONTROLLER_TYPES = [
  "lsilogic",
  "lsilogic-sas",
  "pvscsi",
  "buslogic",
  "ide",
  "sata",
  "nvme",
] as const;
export type ControllerType = (typeof CONTROLLER_TYPES)[number];

/** The device type a restore creates for each family. */
const XSI_TYPES: Readonly<Record<ControllerType, string>> = {
  lsilogic: "VirtualLsiLogicController",
  "lsilogic-sas": "VirtualLsiLogicSASController",
  pvscsi: "ParaVirtualSCSIController",
  buslogic: "VirtualBusLogicController",
  ide: "VirtualIDEController",
  sata: "VirtualAHCIController",
  nvme: "VirtualNVMEController",
};

/** Every device type read as a family: servers also report AHCI controllers by their base type. */
const FAMILIES: ReadonlyMap<string, ControllerType> = new Map([
  ...CONTROLLER_TYPES.map((type) => [XSI_TYPES[type], type] as const),
  ["VirtualSATAController", "sata"],
]);

const SCSI: ReadonlySet<ControllerType> = new Set(["lsilogic", "lsilogic-sas", "pvscsi", "buslogic"]);

export function isControllerType(value: unknown): value is ControllerType {
  return typeof value === "string" && (CONTROLLER_TYPES as readonly string[]).includes(value);
}

/** The family of a controller device; undefined for a device that is no controller Snapferry knows. */
export function controllerTypeOf(xsiType: string | undefined): ControllerType | undefined {
  return xsiType === undefined ? undefined : FAMILIES.get(xsiType);
}

export function controllerXsiType(type: ControllerType): string {
  return XSI_TYPES[type];
}

export function isScsiController(type: ControllerType): boolean {
  return SCSI.has(type);
}
