/**
 * Typed values out of vim answers (property collector values, device lists). vim sends everything
 * as text; a value that does not parse is treated as absent rather than as zero, so a malformed
 * field never shows as a real (and wrong) capacity or CPU count. Readers that cannot do without a
 * value (a backup must know a disk's size) check for absence themselves.
 */
import { child, type XmlNode } from "./soap-xml.js";

export function textOf(node: XmlNode | undefined, name?: string): string | undefined {
  const target = name === undefined ? node : child(node, name);
  return target?.text;
}

/** An xsd:int or xsd:long that fits a JavaScript number exactly (disk sizes up to 8 PiB). */
export function numberOf(node: XmlNode | undefined, name?: string): number | undefined {
  const raw = textOf(node, name)?.trim();
  if (raw === undefined || !/^-?\d+$/.test(raw)) return undefined;
  const value = Number(raw);
  return Number.isSafeInteger(value) ? value : undefined;
}

export function booleanOf(node: XmlNode | undefined, name?: string): boolean | undefined {
  const raw = textOf(node, name)?.trim();
  if (raw === "true" || raw === "1") return true;
  if (raw === "false" || raw === "0") return false;
  return undefined;
}

/** An xsd:dateTime; undefined when missing or unreadable. */
export function dateOf(node: XmlNode | undefined, name?: string): Date | undefined {
  const raw = textOf(node, name);
  if (raw === undefined) return undefined;
  const date = new Date(raw);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
