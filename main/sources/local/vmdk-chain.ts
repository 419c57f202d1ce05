/**
 * Follows a VMDK snapshot chain through its descriptors, from the current delta down to the base
 * disk, to count its layers (the depth the app warns about) and list every file the disk's data
 * lives in. It checks what VMware checks before it opens a chain: every parent exists and still
 * has the content id its child was created against.
 */
import path from "node:path";
import { ImageFormatError } from "../../formats/image-error.js";
import { candidatePaths, locateVmFile } from "./vm-paths.js";
import { readVmdkDescriptor, type DescriptorReader, type VmdkDescriptor } from "./vmdk-descriptor.js";

export interface ChainLayer {
  file: string;
  descriptor: VmdkDescriptor;
  /** The data files of this layer: the file itself when its descriptor is embedded, else its extents. */
  dataFiles: string[];
}

/** VMware supports 32 snapshots per chain; this bound only stops a damaged chain early. */
const MAX_CHAIN = 256;
const NO_PARENT = "ffffffff";

const BROKEN_CHAIN_HINT =
  "Put the missing file back beside the others, or open the VM in VMware and consolidate or delete its snapshots, then back it up again.";

async function dataFiles(descriptor: VmdkDescriptor): Promise<string[]> {
  if (descriptor.embedded) return [descriptor.file];
  const dir = path.dirname(descriptor.file);
  const files: string[] = [];
  for (const extent of descriptor.extents) {
    if (extent.fileName === undefined) continue;
    const found = await locateVmFile(dir, extent.fileName);
    if (!found) {
      const expected = candidatePaths(dir, extent.fileName)[0] ?? extent.fileName;
      throw new ImageFormatError(
        descriptor.file,
        `its data file ${expected} does not exist`,
        BROKEN_CHAIN_HINT,
      );
    }
    files.push(found);
  }
  return files;
}

function hasParent(d: VmdkDescriptor): boolean {
  return d.parentCid !== undefined && parseInt(d.parentCid, 16) !== parseInt(NO_PARENT, 16);
}

async function parentOf(child: VmdkDescriptor): Promise<string> {
  const hint = child.parentFileNameHint;
  if (hint === undefined || hint === "") {
    throw new ImageFormatError(
      child.file,
      `is a delta disk (parentCID ${child.parentCid ?? "?"}) that names no parent (parentFileNameHint)`,
      BROKEN_CHAIN_HINT,
    );
  }
  const dir = path.dirname(child.file);
  const found = await locateVmFile(dir, hint);
  if (!found) {
    const expected = candidatePaths(dir, hint)[0] ?? hint;
    throw new ImageFormatError(
      child.file,
      `its parent disk ${expected} does not exist: the snapshot chain is broken`,
      BROKEN_CHAIN_HINT,
    );
  }
  return found;
}

/** The chain from `top` down: top first, base disk last. */
export async function followVmdkChain(
  top: string,
  readDescriptor: DescriptorReader = readVmdkDescriptor,
): Promise<ChainLayer[]> {
  const layers: ChainLayer[] = [];
  const seen = new Set<string>();
  let file: string | undefined = path.resolve(top);
  while (file !== undefined) {
    if (seen.has(file)) {
      throw new ImageFormatError(top, `its snapshot chain loops back to ${file}`, BROKEN_CHAIN_HINT);
    }
    if (layers.length >= MAX_CHAIN) {
      throw new ImageFormatError(top, `its snapshot chain is longer than ${MAX_CHAIN} disks`);
    }
    seen.add(file);
    const descriptor = await readDescriptor(file);
    const child = layers[layers.length - 1];
    if (child && parseInt(child.descriptor.parentCid ?? "", 16) !== parseInt(descriptor.cid ?? "", 16)) {
      throw new ImageFormatError(
        child.file,
        `its parent ${file} was changed after the snapshot was taken (content id ${descriptor.cid ?? "none"}, expected ${child.descriptor.parentCid ?? "?"})`,
        "VMware refuses to open this disk too. Restore the parent from the backup it came from, or ask VMware support to repair the chain.",
      );
    }
    layers.push({ file, descriptor, dataFiles: await dataFiles(descriptor) });
    file = hasParent(descriptor) ? await parentOf(descriptor) : undefined;
  }
  return layers;
}
