/**
 * Reading SOAP XML without caring about prefixes: vcsim writes `XMLSchema-instance:type` where real
 * vSphere writes `xsi:type`, and clients may prefix the body's elements or not.
 */
import { XMLParser } from "fast-xml-parser";

export type XmlNode = string | { [key: string]: XmlValue };
type XmlValue = XmlNode | XmlNode[];

export interface MoRef {
  type: string;
  value: string;
}

// Prefixes are kept (not stripped) because stripping makes `type` and `xsi:type` collide on
// elements such as TaskInfo.result, which carry both.
const parser = new XMLParser({
  ignoreAttributes: false,
  attributeNamePrefix: "@_",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: true,
});

export function parseXml(text: string): XmlNode {
  return parser.parse(text) as XmlNode;
}

function localName(key: string): string {
  const colon = key.indexOf(":");
  return colon < 0 ? key : key.slice(colon + 1);
}

export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  if (node === undefined || typeof node === "string") return [];
  const found: XmlNode[] = [];
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_") || key === "#text" || localName(key) !== name) continue;
    if (Array.isArray(value)) found.push(...value);
    else found.push(value);
  }
  return found;
}

export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return children(node, name)[0];
}

/** The first element child, whatever its name: the method element inside a SOAP Body. */
export function firstElement(node: XmlNode | undefined): { name: string; node: XmlNode } | undefined {
  if (node === undefined || typeof node === "string") return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_") || key === "#text") continue;
    const first = Array.isArray(value) ? value[0] : value;
    if (first !== undefined) return { name: localName(key), node: first };
  }
  return undefined;
}

export function text(node: XmlNode | undefined): string | undefined {
  if (node === undefined) return undefined;
  if (typeof node === "string") return node;
  const inner = node["#text"];
  if (inner === undefined) return "";
  return typeof inner === "string" ? inner : undefined;
}

function attribute(node: XmlNode | undefined, name: string): string | undefined {
  if (node === undefined || typeof node === "string") return undefined;
  const value = node[`@_${name}`];
  return typeof value === "string" ? value : undefined;
}

/** The schema type named by any `*:type` attribute (xsi, XMLSchema-instance...). */
export function xsiType(node: XmlNode | undefined): string | undefined {
  if (node === undefined || typeof node === "string") return undefined;
  for (const [key, value] of Object.entries(node)) {
    if (key.startsWith("@_") && key.endsWith(":type") && typeof value === "string") return localName(value);
  }
  return undefined;
}

export function moref(node: XmlNode | undefined): MoRef | undefined {
  const type = attribute(node, "type");
  const value = text(node);
  return type !== undefined && value ? { type, value } : undefined;
}

export function soapBodyMethod(envelope: XmlNode): { name: string; node: XmlNode } | undefined {
  return firstElement(child(child(envelope, "Envelope"), "Body"));
}

export function escapeXml(value: string): string {
  return value
    .replace(/&/g, "&amp;")
    .replace(/</g, "&lt;")
    .replace(/>/g, "&gt;")
    .replace(/"/g, "&quot;")
    .replace(/'/g, "&#39;");
}

export function unescapeXml(value: string): string {
  return value.replace(/&(#x[0-9a-fA-F]+|#[0-9]+|amp|lt|gt|quot|apos);/g, (_match, entity: string) => {
    switch (entity) {
      case "amp":
        return "&";
      case "lt":
        return "<";
      case "gt":
        return ">";
      case "quot":
        return '"';
      case "apos":
        return "'";
      default:
        return String.fromCodePoint(
          entity.startsWith("#x") ? parseInt(entity.slice(2), 16) : parseInt(entity.slice(1), 10),
        );
    }
  });
}
