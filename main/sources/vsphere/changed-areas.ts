/**
 * Changed block tracking: QueryChangedDiskAreas asks which areas of a disk changed between an
 * earlier change id and a snapshot ("*": which areas hold data at all). One answer covers only part
 * of a large disk (and says how far in `length`), so the query loops on startOffset + length until
 * the disk's capacity is covered; a single call misses data on disks of 2 TB and up.
 */
import { SnapferryError } from "../../common/errors.js";
import { normalizeRanges, type ByteRange } from "../../engines/changed-ranges.js";
import type { Extent } from "../../formats/disk-image.js";
import type { MoRef } from "./moref.js";
import { children, requireChild, text, type XmlNode } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";
import { VsphereProtocolError } from "./vsphere-errors.js";

/** Every area with data: the change id of a full backup. */
export const ALL_ALLOCATED = "*";

export interface ChangedAreasQuery {
  vm: MoRef;
  snapshot: MoRef;
  deviceKey: number;
  /** The disk's capacity: the loop ends once it is covered. */
  capacityBytes: number;
  /** An earlier change id of this disk, or "*". */
  changeId: string;
  signal?: AbortSignal;
}

/** Every changed (or, for "*", allocated) area of the disk, sorted and merged. */
export async function queryChangedAreas(client: VimClient, query: ChangedAreasQuery): Promise<ByteRange[]> {
  const areas: ByteRange[] = [];
  let offset = 0;
  while (offset < query.capacityBytes) {
    const answer = await client.invoke(
      "QueryChangedDiskAreas",
      {
        _this: query.vm,
        snapshot: query.snapshot,
        deviceKey: query.deviceKey,
        startOffset: offset,
        changeId: query.changeId,
      },
      query.signal ? { signal: query.signal } : {},
    );
    const info = requireChild(answer, "returnval", client.server);
    offset = readAnswer(info, offset, query, areas, client.server);
  }
  return normalizeRanges(areas);
}

/** Appends one DiskChangeInfo's areas; returns the offset the next call starts at. */
function readAnswer(
  info: XmlNode,
  offset: number,
  query: ChangedAreasQuery,
  into: ByteRange[],
  server: string,
): number {
  const start = Number(text(info, "startOffset"));
  const length = Number(text(info, "length"));
  if (start !== offset || !Number.isSafeInteger(length) || length <= 0) {
    // An answer that does not move on would loop for ever.
    throw new VsphereProtocolError(
      `malformed answer from ${server}: QueryChangedDiskAreas for disk ${query.deviceKey} at ${offset} ` +
        `covered ${text(info, "length") ?? "nothing"} bytes from ${text(info, "startOffset") ?? "?"}`,
    );
  }
  for (const area of children(info, "changedArea")) {
    const areaStart = Number(text(area, "start"));
    const areaLength = Number(text(area, "length"));
    const inside =
      Number.isSafeInteger(areaStart) &&
      Number.isSafeInteger(areaLength) &&
      areaStart >= 0 &&
      areaLength >= 0 &&
      areaStart + areaLength <= query.capacityBytes;
    if (!inside) {
      throw new SnapferryError(
        "vsphere-protocol",
        `malformed answer from ${server}: a changed area ${areaStart}+${areaLength} of disk ${query.deviceKey} ` +
          `lies outside its ${query.capacityBytes} bytes`,
        "The server's change tracking data may be damaged: back up with --type active-full.",
      );
    }
    into.push({ offset: areaStart, length: areaLength });
  }
  return start + length;
}

/**
 * The allocation map of a disk from its "*" areas: data where allocated, zero elsewhere, covering
 * the whole disk (the backup engine takes a chunk outside every area as a hole, unread).
 */
export function allocationFromAreas(areas: readonly ByteRange[], size: number): Extent[] {
  const extents: Extent[] = [];
  let at = 0;
  for (const area of areas) {
    if (area.offset > at) extents.push({ offset: at, length: area.offset - at, kind: "zero" });
    extents.push({ offset: area.offset, length: area.length, kind: "data" });
    at = area.offset + area.length;
  }
  if (at < size) extents.push({ offset: at, length: size - at, kind: "zero" });
  return extents;
}
