/**
 * Puts a `<changeId>` into every disk backing of a PropertyCollector answer (RetrievePropertiesEx,
 * WaitForUpdatesEx...), since vcsim never fills it. The answer is edited as text, not re-serialised,
 * so everything else reaches the client exactly as vcsim wrote it.
 */
import { unescapeXml, type MoRef } from "./xml-read.js";

/** The changeId for a disk backing, by the object the answer is about and the backing's fileName. */
export type ChangeIdLookup = (owner: MoRef, fileName: string) => string | undefined;

/**
 * The fields that follow changeId in each backing type, in vim schema order (govmomi
 * vim25/types/types.go); changeId goes before the first of them that is present.
 */
const FIELDS_AFTER_CHANGE_ID: Record<string, readonly string[]> = {
  VirtualDiskFlatVer2BackingInfo: [
    "parent",
    "deltaDiskFormat",
    "digestEnabled",
    "deltaGrainSize",
    "deltaDiskFormatVariant",
    "sharing",
    "keyId",
  ],
  VirtualDiskSparseVer2BackingInfo: ["parent", "keyId"],
  VirtualDiskSeSparseBackingInfo: ["parent", "deltaDiskFormat", "digestEnabled", "grainSize", "keyId"],
  VirtualDiskRawDiskMappingVer1BackingInfo: ["parent", "deltaDiskFormat", "deltaGrainSize", "sharing"],
};

interface OpenElement {
  name: string;
  /** Set on a disk backing element: what the edit needs once the element closes. */
  backing?: {
    type: string;
    fileName?: string;
    insertAt?: number;
    existingChangeId?: { from: number; to: number };
  };
}

interface Edit {
  from: number;
  to: number;
  text: string;
}

const TAG = /<(\/?)([A-Za-z_][\w.-]*(?::[\w.-]+)?)((?:\s+[^\s=/>]+\s*=\s*(?:"[^"]*"|'[^']*'))*)\s*(\/?)>/g;

function local(name: string): string {
  const colon = name.indexOf(":");
  return colon < 0 ? name : name.slice(colon + 1);
}

function attributes(source: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const m of source.matchAll(/([^\s=]+)\s*=\s*(?:"([^"]*)"|'([^']*)')/g)) {
    if (m[1]) found.set(m[1], unescapeXml(m[2] ?? m[3] ?? ""));
  }
  return found;
}

function schemaType(attrs: Map<string, string>): string | undefined {
  for (const [name, value] of attrs) if (name.endsWith(":type")) return local(value);
  return undefined;
}

/** The answer with changeIds injected; unchanged when it holds no disk backing. */
export function injectChangeIds(xml: string, lookup: ChangeIdLookup): string {
  if (!Object.keys(FIELDS_AFTER_CHANGE_ID).some((type) => xml.includes(type))) return xml;

  const stack: OpenElement[] = [];
  const edits: Edit[] = [];
  let owner: MoRef | undefined;
  let ownerType: string | undefined;

  for (const m of xml.matchAll(TAG)) {
    const [whole, closing, name = "", attrSource = "", selfClosing] = m;
    const at = m.index;
    if (closing) {
      const element = stack.pop();
      if (!element) break;
      if (local(element.name) === "obj" && ownerType !== undefined) {
        const value = unescapeXml(xml.slice(xml.lastIndexOf(">", at - 1) + 1, at)).trim();
        owner = { type: ownerType, value };
        ownerType = undefined;
      }
      const parent = stack[stack.length - 1];
      if (parent?.backing && local(element.name) === "fileName") {
        parent.backing.fileName = unescapeXml(xml.slice(xml.lastIndexOf(">", at - 1) + 1, at)).trim();
      }
      if (parent?.backing && local(element.name) === "changeId" && parent.backing.existingChangeId) {
        parent.backing.existingChangeId.to = at + whole.length;
      }
      if (element.backing) {
        const edit = backingEdit(element.backing, at, owner, lookup);
        if (edit) edits.push(...edit);
      }
      continue;
    }

    const attrs = attributes(attrSource);
    const parent = stack[stack.length - 1];
    if (parent?.backing) {
      const field = local(name);
      const after = FIELDS_AFTER_CHANGE_ID[parent.backing.type] ?? [];
      if (parent.backing.insertAt === undefined && after.includes(field)) parent.backing.insertAt = at;
      if (field === "changeId") parent.backing.existingChangeId = { from: at, to: at + whole.length };
    }
    if (selfClosing) continue;

    const element: OpenElement = { name };
    const type = schemaType(attrs);
    if (local(name) === "obj") ownerType = attrs.get("type");
    // A nested <parent> backing has the declared type and no xsi:type: only typed backings are edited.
    if (type !== undefined && type in FIELDS_AFTER_CHANGE_ID) element.backing = { type };
    stack.push(element);
  }

  let result = xml;
  for (const edit of edits.sort((a, b) => b.from - a.from)) {
    result = result.slice(0, edit.from) + edit.text + result.slice(edit.to);
  }
  return result;
}

function backingEdit(
  backing: NonNullable<OpenElement["backing"]>,
  closeAt: number,
  owner: MoRef | undefined,
  lookup: ChangeIdLookup,
): Edit[] | undefined {
  if (!owner || backing.fileName === undefined) return undefined;
  const changeId = lookup(owner, backing.fileName);
  if (changeId === undefined) return undefined;
  const element = `<changeId>${changeId}</changeId>`;
  const existing = backing.existingChangeId;
  if (existing) return [{ from: existing.from, to: existing.to, text: element }];
  const at = backing.insertAt ?? closeAt;
  return [{ from: at, to: at, text: element }];
}
