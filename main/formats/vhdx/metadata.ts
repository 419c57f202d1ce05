/**
 * The metadata region: a table of items (file parameters, virtual disk size, sector sizes, parent
 * locator) and their values. Every value is checked against the spec's limits here, so the BAT
 * arithmetic that follows can trust them.
 */
import { ImageFormatError } from "../image-error.js";
import type { ImageFile } from "../shared/image-file.js";
import { u64le } from "../shared/binary.js";
import {
  ITEM_FILE_PARAMETERS,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PAGE83_DATA,
  ITEM_PARENT_LOCATOR,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_VIRTUAL_DISK_SIZE,
  readGuid,
} from "./guid.js";
import type { Region } from "./region-table.js";

const TABLE_SIZE = 64 * 1024;
const MAX_ENTRIES = 2047;
const MAX_ITEM = 1024 * 1024;
const MIB = 1024 * 1024;
/** The spec's largest virtual disk. */
export const MAX_VIRTUAL_SIZE = 64 * 1024 * 1024 * MIB;

const KNOWN = new Set([
  ITEM_FILE_PARAMETERS,
  ITEM_VIRTUAL_DISK_SIZE,
  ITEM_PAGE83_DATA,
  ITEM_LOGICAL_SECTOR_SIZE,
  ITEM_PHYSICAL_SECTOR_SIZE,
  ITEM_PARENT_LOCATOR,
]);

export interface VhdxMetadata {
  blockSize: number;
  hasParent: boolean;
  /** Set by writers of fixed VHDX files: every block stays allocated. */
  leaveBlocksAllocated: boolean;
  virtualSize: number;
  logicalSectorSize: number;
  /** The raw parent locator item; present when hasParent. */
  parentLocator: Buffer | undefined;
}

async function readItems(file: ImageFile, region: Region): Promise<Map<string, Buffer>> {
  const table = await file.read(
    region.offset,
    Math.min(TABLE_SIZE, region.length),
    "the VHDX metadata table",
  );
  if (table.length < 32 || table.toString("latin1", 0, 8) !== "metadata") {
    throw new ImageFormatError(file.path, "the VHDX metadata table has a bad signature");
  }
  const count = table.readUInt16LE(10);
  if (count > MAX_ENTRIES || 32 + count * 32 > table.length) {
    throw new ImageFormatError(file.path, `the VHDX metadata table claims ${count} entries, more than fit`);
  }
  const items = new Map<string, Buffer>();
  for (let i = 0; i < count; i++) {
    const at = 32 + i * 32;
    const guid = readGuid(table, at);
    const offset = table.readUInt32LE(at + 16);
    const length = table.readUInt32LE(at + 20);
    const required = (table.readUInt32LE(at + 24) & 4) !== 0;
    if (!KNOWN.has(guid)) {
      if (required) {
        throw new ImageFormatError(
          file.path,
          `needs metadata item ${guid}, which this version does not know`,
          "The file uses a newer VHDX feature; convert it with Hyper-V or qemu-img first.",
        );
      }
      continue;
    }
    if (items.has(guid))
      throw new ImageFormatError(file.path, `the VHDX metadata item ${guid} appears twice`);
    if (length > MAX_ITEM || (length > 0 && offset < TABLE_SIZE) || offset + length > region.length) {
      throw new ImageFormatError(
        file.path,
        `the VHDX metadata item ${guid} lies outside the metadata region`,
      );
    }
    items.set(guid, await file.read(region.offset + offset, length, `the VHDX metadata item ${guid}`));
  }
  return items;
}

function item(
  file: ImageFile,
  items: Map<string, Buffer>,
  guid: string,
  name: string,
  minLength: number,
): Buffer {
  const data = items.get(guid);
  if (!data || data.length < minLength) {
    throw new ImageFormatError(file.path, `the VHDX metadata lacks the ${name} item`);
  }
  return data;
}

export async function readMetadata(file: ImageFile, region: Region): Promise<VhdxMetadata> {
  const items = await readItems(file, region);
  const params = item(file, items, ITEM_FILE_PARAMETERS, "file parameters", 8);
  const blockSize = params.readUInt32LE(0);
  const flags = params.readUInt32LE(4);
  if (blockSize < MIB || blockSize > 256 * MIB || (blockSize & (blockSize - 1)) !== 0) {
    throw new ImageFormatError(
      file.path,
      `the VHDX block size ${blockSize} is not a power of two from 1 to 256 MiB`,
    );
  }
  const sizeItem = item(file, items, ITEM_VIRTUAL_DISK_SIZE, "virtual disk size", 8);
  const virtualSize = u64le(sizeItem, 0, file.path, "the virtual disk size");
  if (virtualSize > MAX_VIRTUAL_SIZE) {
    throw new ImageFormatError(
      file.path,
      `the virtual disk size ${virtualSize} is above the VHDX maximum of 64 TiB`,
    );
  }
  const logicalSectorSize = item(
    file,
    items,
    ITEM_LOGICAL_SECTOR_SIZE,
    "logical sector size",
    4,
  ).readUInt32LE(0);
  if (logicalSectorSize !== 512 && logicalSectorSize !== 4096) {
    throw new ImageFormatError(
      file.path,
      `the VHDX logical sector size ${logicalSectorSize} is not 512 or 4096`,
    );
  }
  const hasParent = (flags & 2) !== 0;
  return {
    blockSize,
    hasParent,
    leaveBlocksAllocated: (flags & 1) !== 0,
    virtualSize,
    logicalSectorSize,
    parentLocator: hasParent ? item(file, items, ITEM_PARENT_LOCATOR, "parent locator", 20) : undefined,
  };
}
