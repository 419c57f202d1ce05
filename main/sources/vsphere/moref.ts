/**
 * Managed object references: the (type, value) pairs by which vim25 names every server-side object
 * ("VirtualMachine", "vm-42"). Values are opaque and only unique within one server.
 */
import type { XmlNode } from "./soap-xml.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

export interface MoRef {
  readonly type: string;
  readonly value: string;
}

export function moref(type: string, value: string): MoRef {
  return { type, value };
}

/** Reads a MoRef element (`<obj type="VirtualMachine">vm-42</obj>`), naming it when malformed. */
export function parseMoRef(node: XmlNode, server: string): MoRef {
  const type = node.attributes.type;
  if (!type || node.text === "") {
    throw new VsphereProtocolError(
      `malformed answer from ${server}: ${node.name} is not a managed object reference`,
    );
  }
  return { type, value: node.text };
}

/** Every MoRef element below `node` (an ArrayOfManagedObjectReference value, say). */
export function parseMoRefs(node: XmlNode | undefined, server: string): MoRef[] {
  return node ? node.children.map((c) => parseMoRef(c, server)) : [];
}

/** "VirtualMachine:vm-42": the form vSphere uses in its own messages, and a usable map key. */
export function formatMoRef(ref: MoRef): string {
  return `${ref.type}:${ref.value}`;
}

export function sameMoRef(a: MoRef, b: MoRef): boolean {
  return a.type === b.type && a.value === b.value;
}

export function isMoRef(value: unknown): value is MoRef {
  if (typeof value !== "object" || value === null || Array.isArray(value)) return false;
  const record = value as Record<string, unknown>;
  return typeof record.type === "string" && typeof record.value === "string" && !("fields" in record);
}
