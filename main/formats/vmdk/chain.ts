/**
 * Snapshot chains: a delta names its parent (parentFileNameHint) and the parent's content id at the
 * time the snapshot was taken (parentCID). A parent that is missing, has another CID (it was
 * written to afterwards, or it is another disk), or leads back into the chain makes the disk
 * unreadable: reading it anyway would silently mix data from different points in time.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { ImageFormatError } from "../image-error.js";
import { formatCid } from "./descriptor.js";
import { openLayer, type LayerContext, type VmdkLayer } from "./layer.js";
import { MAX_CHAIN_DEPTH } from "./limits.js";

/** Opens `top` and every parent below it: top first. */
export async function openChain(top: string, ctx: LayerContext): Promise<VmdkLayer[]> {
  const layers: VmdkLayer[] = [];
  const seen = new Set<string>();
  let current = top;
  for (;;) {
    const child = layers.at(-1);
    const real = await fs.realpath(current).catch(() => current);
    if (seen.has(real)) {
      throw new ImageFormatError(
        child?.path ?? current,
        `its parent chain loops: ${current} is already in the chain`,
        "The parentFileNameHint of a snapshot was edited or damaged: point it at the real parent disk.",
      );
    }
    seen.add(real);
    const layer = await openLayer(current, ctx);
    if (child) checkParentCid(child, layer);
    layers.push(layer);

    const { parentCid, parentFileNameHint } = layer.descriptor;
    if (parentCid === undefined) return layers;
    if (!parentFileNameHint) {
      throw new ImageFormatError(
        layer.path,
        `is a snapshot delta (parentCID ${formatCid(parentCid)}) but does not name its parent disk`,
        'Add parentFileNameHint="<parent>.vmdk" to its descriptor, or open the parent disk itself.',
      );
    }
    if (layers.length > MAX_CHAIN_DEPTH) {
      throw new ImageFormatError(
        top,
        `the snapshot chain is deeper than ${MAX_CHAIN_DEPTH} deltas`,
        "Consolidate the VM's snapshots in VMware, then back it up again.",
      );
    }
    current = await findParent(layer.path, parentFileNameHint);
  }
}

function checkParentCid(child: VmdkLayer, parent: VmdkLayer): void {
  const expected = child.descriptor.parentCid;
  const actual = parent.descriptor.cid;
  if (expected === actual) return;
  throw new ImageFormatError(
    child.path,
    `expects its parent ${parent.path} to have content id (CID) ${formatCid(expected)}, but it has ${formatCid(actual)}: the parent was written to after this snapshot was taken, or it is a different disk`,
    "Use the parent disk this snapshot was taken from; a parent that changed cannot give back the snapshot's data.",
  );
}

/**
 * The hint is relative to the delta's folder or absolute; an absolute hint written on another
 * machine (a Windows path, a datastore path) still finds a parent copied next to the delta.
 */
async function findParent(childPath: string, hint: string): Promise<string> {
  const dir = path.dirname(childPath);
  const direct = path.isAbsolute(hint) ? hint : path.resolve(dir, hint);
  const beside = path.join(dir, path.win32.basename(hint));
  const candidates = direct === beside ? [direct] : [direct, beside];
  for (const candidate of candidates) {
    const stat = await fs.stat(candidate).catch(() => undefined);
    if (stat?.isFile()) return candidate;
  }
  throw new ImageFormatError(
    childPath,
    `its parent disk "${hint}" is missing (looked for ${candidates.join(" and ")})`,
    "Copy the parent disk (and its own parents) next to this snapshot, or consolidate the snapshot in VMware.",
  );
}
