/**
 * Typed values out of property collector answers. vim sends everything as text; a value that does
 * not parse is treated as absent rather than as zero, so a malformed field never shows as a real
 * (and wrong) capacity or CPU count.
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

/**
 * vSphere escapes "%", "/" and "\" in entity names (as %25, %2f, %5c) so that inventory paths stay
 * unambiguous; paths keep the escaped form, names shown to people the plain one.
 */
export function displayName(raw: string): string {
  return raw.replace(/%(25|2f|5c)/gi, (_, code: string) => String.fromCharCode(parseInt(code, 16)));
}
