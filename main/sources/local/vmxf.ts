/**
 * A VMware .vmxf file: XML "foundry" metadata (VM teams, the VM's id). Snapferry only keeps it as
 * a configuration file; reading its id and .vmx name shows whether it belongs to the VM at hand.
 * Workstation rewrites a missing or damaged .vmxf, so a damaged one is still kept, not refused.
 */
import { childElement, childText, parseXml } from "./xml.js";

export interface VmxfInfo {
  /** The VMId element, as VMware writes it ("52 a1 …"), when readable. */
  vmId: string | undefined;
  /** The .vmx file name the .vmxf names, when readable. */
  vmxPathName: string | undefined;
  /** Why the content could not be read, when it could not. */
  problem: string | undefined;
}

export function readVmxf(data: Buffer, what: string): VmxfInfo {
  try {
    const root = parseXml(data.toString("utf8"), what);
    if (root.name !== "Foundry") {
      return { vmId: undefined, vmxPathName: undefined, problem: `root element is <${root.name}>` };
    }
    const vm = childElement(root, "VM");
    return {
      vmId: vm ? childText(vm, "VMId") : undefined,
      vmxPathName: vm ? childText(vm, "vmxPathName") : undefined,
      problem: undefined,
    };
  } catch (err) {
    return {
      vmId: undefined,
      vmxPathName: undefined,
      problem: err instanceof Error ? err.message : String(err),
    };
  }
}
