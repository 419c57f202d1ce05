/**
 * The vim25 SOAP answers, parsed into a small namespace-aware element tree. Prefixes are resolved
 * through the xmlns declarations in scope, because servers disagree on them: ESXi writes
 * `xsi:type`, vcsim `XMLSchema-instance:type`, and a MoRef also has a plain `type` attribute that
 * means something else. Values stay strings; callers decide what is a number. A DTD is refused
 * outright, so entity expansion can never blow up memory.
 */
import { XMLParser, XMLValidator } from "fast-xml-parser";
import { VsphereProtocolError } from "./vsphere-errors.js";

export const XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance";
const XMLNS_NAMESPACE = "http://www.w3.org/XML/1998/namespace";

/** An answer larger than this is refused: the biggest real ones (a page of 1,000 VMs) are far smaller. */
export const MAX_RESPONSE_BYTES = 64 * 1024 * 1024;

export interface XmlNode {
  /** The local name, prefix removed. */
  name: string;
  /** The namespace URI the prefix (or the default namespace) resolves to; "" when none. */
  namespace: string;
  /** Local attribute name to value; xmlns declarations and xsi:type are not included. */
  attributes: Record<string, string>;
  /** The local part of xsi:type ("VirtualMachineSnapshotTree"), when present. */
  xsiType?: string;
  /** The element's own text (entities decoded), its children's text excluded. */
  text: string;
  children: XmlNode[];
}

/** One entry of fast-xml-parser's preserveOrder output: a single tag key, plus ":@" for attributes. */
type RawEntry = Record<string, unknown>;
type Scope = ReadonlyMap<string, string>;

const ATTRIBUTES_KEY = ":@";
const TEXT_KEY = "#text";
const CDATA_KEY = "#cdata";
const PREDEFINED: Record<string, string> = { lt: "<", gt: ">", amp: "&", quot: '"', apos: "'" };

const parser = new XMLParser({
  preserveOrder: true,
  ignoreAttributes: false,
  attributeNamePrefix: "",
  parseTagValue: false,
  parseAttributeValue: false,
  trimValues: false,
  // Entities are decoded here (below): the library leaves numeric references undecoded.
  processEntities: false,
  cdataPropName: CDATA_KEY,
  ignoreDeclaration: true,
  ignorePiTags: true,
  // A 32-deep snapshot tree nests about 40 levels; this only stops absurd documents.
  maxNestedTags: 512,
});

/**
 * Parses a whole SOAP answer from `server` (named in errors). Throws VsphereProtocolError for a
 * DTD, an oversized or malformed document.
 */
export function parseXml(input: string | Buffer, server: string): XmlNode {
  const size = typeof input === "string" ? Buffer.byteLength(input) : input.length;
  if (size > MAX_RESPONSE_BYTES) throw tooLarge(server);
  const text = typeof input === "string" ? input : input.toString("utf8");
  if (/<!DOCTYPE/i.test(text)) {
    throw new VsphereProtocolError(
      `malformed answer from ${server}: it contains a DTD (<!DOCTYPE), which vim25 never sends; refused`,
    );
  }
  const valid = XMLValidator.validate(text);
  if (valid !== true) {
    throw new VsphereProtocolError(
      `malformed answer from ${server}: not well-formed XML (${valid.err.msg}, line ${valid.err.line})`,
    );
  }
  let entries: unknown;
  try {
    entries = parser.parse(text);
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new VsphereProtocolError(`malformed answer from ${server}: ${reason}`);
  }
  const roots = asEntries(entries).flatMap((entry) => toNodes(entry, new Map(), server));
  const root = roots[0];
  if (roots.length !== 1 || root === undefined) {
    throw new VsphereProtocolError(`malformed answer from ${server}: expected one XML root element`);
  }
  return root;
}

export function tooLarge(server: string): VsphereProtocolError {
  return new VsphereProtocolError(
    `the answer from ${server} is larger than ${MAX_RESPONSE_BYTES / 1024 / 1024} MiB; refused`,
    "Retrieve fewer objects per page (a smaller page size) or fewer properties.",
  );
}

function asEntries(value: unknown): RawEntry[] {
  if (!Array.isArray(value)) return [];
  return value.filter((v): v is RawEntry => typeof v === "object" && v !== null);
}

function tagOf(entry: RawEntry): string | undefined {
  return Object.keys(entry).find((key) => key !== ATTRIBUTES_KEY);
}

/** Turns one raw entry into zero (text, CDATA) or one element, resolving names in `outer`. */
function toNodes(entry: RawEntry, outer: Scope, server: string): XmlNode[] {
  const tag = tagOf(entry);
  if (tag === undefined || tag === TEXT_KEY || tag === CDATA_KEY) return [];
  const rawAttributes = stringRecord(entry[ATTRIBUTES_KEY]);
  const scope = withDeclarations(outer, rawAttributes);
  const { prefix, local } = splitName(tag);
  const node: XmlNode = {
    name: local,
    namespace: resolvePrefix(scope, prefix, tag, server),
    attributes: {},
    text: "",
    children: [],
  };
  readAttributes(node, rawAttributes, scope, server);
  for (const child of asEntries(entry[tag])) {
    const childTag = tagOf(child);
    if (childTag === TEXT_KEY) node.text += decodeEntities(String(child[TEXT_KEY]), server);
    else if (childTag === CDATA_KEY) node.text += cdataText(child[CDATA_KEY]);
    else node.children.push(...toNodes(child, scope, server));
  }
  return [node];
}

function stringRecord(value: unknown): Record<string, string> {
  const out: Record<string, string> = {};
  if (typeof value !== "object" || value === null) return out;
  for (const [key, v] of Object.entries(value)) out[key] = String(v);
  return out;
}

function cdataText(value: unknown): string {
  return asEntries(value)
    .map((e) => (e[TEXT_KEY] === undefined ? "" : String(e[TEXT_KEY])))
    .join("");
}

function splitName(qname: string): { prefix: string; local: string } {
  const colon = qname.indexOf(":");
  return colon < 0
    ? { prefix: "", local: qname }
    : { prefix: qname.slice(0, colon), local: qname.slice(colon + 1) };
}

function withDeclarations(outer: Scope, attributes: Record<string, string>): Scope {
  let scope: Map<string, string> | undefined;
  for (const [name, value] of Object.entries(attributes)) {
    if (name !== "xmlns" && !name.startsWith("xmlns:")) continue;
    scope ??= new Map(outer);
    scope.set(name === "xmlns" ? "" : name.slice("xmlns:".length), value);
  }
  return scope ?? outer;
}

function resolvePrefix(scope: Scope, prefix: string, qname: string, server: string): string {
  if (prefix === "xml") return XMLNS_NAMESPACE;
  const uri = scope.get(prefix);
  if (uri !== undefined) return uri;
  if (prefix === "") return "";
  throw new VsphereProtocolError(`malformed answer from ${server}: the prefix of ${qname} is not declared`);
}

function readAttributes(node: XmlNode, raw: Record<string, string>, scope: Scope, server: string): void {
  for (const [qname, rawValue] of Object.entries(raw)) {
    if (qname === "xmlns" || qname.startsWith("xmlns:")) continue;
    const { prefix, local } = splitName(qname);
    const value = decodeEntities(rawValue, server);
    // Unprefixed attributes are in no namespace: a MoRef's `type` is not xsi:type.
    if (prefix !== "" && local === "type" && resolvePrefix(scope, prefix, qname, server) === XSI_NAMESPACE) {
      node.xsiType = splitName(value).local;
    } else {
      node.attributes[local] = value;
    }
  }
}

function decodeEntities(raw: string, server: string): string {
  if (!raw.includes("&")) return raw;
  return raw.replace(/&([^;&]*);?/g, (whole, ref: string) => {
    const predefined = PREDEFINED[ref];
    if (predefined !== undefined && whole.endsWith(";")) return predefined;
    const numeric = whole.endsWith(";") ? /^#(?:x([0-9a-fA-F]{1,6})|([0-9]{1,7}))$/.exec(ref) : null;
    const code = numeric ? parseInt(numeric[1] ?? numeric[2] ?? "", numeric[1] ? 16 : 10) : NaN;
    if (!Number.isInteger(code) || code > 0x10ffff) {
      throw new VsphereProtocolError(
        `malformed answer from ${server}: "${whole.slice(0, 20)}" is not an XML entity reference`,
      );
    }
    return String.fromCodePoint(code);
  });
}

/** The first child element with this local name. */
export function child(node: XmlNode | undefined, name: string): XmlNode | undefined {
  return node?.children.find((c) => c.name === name);
}

/** Every child element with this local name, in document order. */
export function children(node: XmlNode | undefined, name: string): XmlNode[] {
  return node ? node.children.filter((c) => c.name === name) : [];
}

/** The text of the first child with this name, or undefined when there is no such child. */
export function text(node: XmlNode | undefined, name: string): string | undefined {
  return child(node, name)?.text;
}

/**
 * Follows a path of child names ("returnval/token"), throwing a protocol error that names the
 * whole path from `node` when a step is missing: a malformed answer must say what was missing.
 */
export function requireChild(node: XmlNode, path: string, server: string): XmlNode {
  let current = node;
  for (const step of path.split("/")) {
    const next = child(current, step);
    if (!next)
      throw new VsphereProtocolError(`malformed answer from ${server}: ${node.name}/${path} missing`);
    current = next;
  }
  return current;
}

export function requireText(node: XmlNode, path: string, server: string): string {
  return requireChild(node, path, server).text;
}
