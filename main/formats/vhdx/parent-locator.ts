/**
 * The VHDX parent locator: key/value pairs (UTF-16LE) naming the parent by relative and absolute
 * paths, and by the DataWriteGuid it had when the child was made (parent_linkage), which proves
 * that the file found is the right parent, unchanged since.
 */
import { ImageFormatError } from "../image-error.js";
import type { RecordedParent } from "../shared/parent-path.js";
import { PARENT_TYPE_VHDX, normalizeGuid, readGuid } from "./guid.js";

export interface ParentLocator extends RecordedParent {
  /** The parent's DataWriteGuid as recorded, and an alternative a writer may record. */
  linkages: string[];
}

function entries(file: string, data: Buffer): Map<string, string> {
  const count = data.readUInt16LE(18);
  if (20 + count * 12 > data.length) {
    throw new ImageFormatError(file, `the VHDX parent locator claims ${count} entries, more than fit`);
  }
  const text = (offset: number, length: number): string => {
    if (length === 0 || length % 2 !== 0 || offset + length > data.length) {
      throw new ImageFormatError(file, "a VHDX parent locator entry lies outside the locator");
    }
    return data.toString("utf16le", offset, offset + length);
  };
  const map = new Map<string, string>();
  for (let i = 0; i < count; i++) {
    const at = 20 + i * 12;
    const key = text(data.readUInt32LE(at), data.readUInt16LE(at + 8));
    map.set(key, text(data.readUInt32LE(at + 4), data.readUInt16LE(at + 10)));
  }
  return map;
}

export function parseParentLocator(file: string, data: Buffer): ParentLocator {
  const type = readGuid(data, 0);
  if (type !== PARENT_TYPE_VHDX) {
    throw new ImageFormatError(
      file,
      `has a parent of unknown type ${type}`,
      "Only VHDX parents are defined by the spec.",
    );
  }
  const map = entries(file, data);
  const linkages = [map.get("parent_linkage"), map.get("parent_linkage2")]
    .map((value) => (value === undefined ? undefined : normalizeGuid(value)))
    .filter((value): value is string => value !== undefined);
  const relative = map.get("relative_path");
  // volume_path ("\\?\Volume{…}\…") only means something on the Windows host that wrote it.
  const absolute = [
    map.get("absolute_win32_path"),
    process.platform === "win32" ? map.get("volume_path") : undefined,
  ];
  return {
    linkages,
    relative: relative ? [relative] : [],
    absolute: absolute.filter((value): value is string => value !== undefined && value !== ""),
  };
}
