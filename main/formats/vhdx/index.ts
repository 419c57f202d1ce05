/**
 * Reading VHDX images (Hyper-V's format, [MS-VHDX] v1.00): fixed, dynamic and differencing files.
 * A differencing file's parent is found through its parent locator and must be the exact file
 * the child was made from (its DataWriteGuid equals the recorded parent_linkage).
 */
import type { DiskImageReader } from "../disk-image.js";
import { ImageFormatError } from "../image-error.js";
import { openBlockLayer } from "../shared/block-image.js";
import { ImageFile } from "../shared/image-file.js";
import { openInChain } from "../shared/parent-chain.js";
import { findParent } from "../shared/parent-path.js";
import { VhdxLayout } from "./bat.js";
import { readCurrentHeader } from "./headers.js";
import { refusePendingLog } from "./log.js";
import { readMetadata, type VhdxMetadata } from "./metadata.js";
import { parseParentLocator } from "./parent-locator.js";
import { readRegions } from "./region-table.js";

export type OpenParent = (path: string) => Promise<DiskImageReader>;
export { looksLikeVhdx } from "../detect.js";

/**
 * Opens a VHDX image. `openParent` opens a differencing disk's parent (by default as a VHDX, the
 * only parent type the spec defines); a loop in the chain is refused.
 */
export function openVhdx(
  path: string,
  openParent: OpenParent = (p) => openVhdx(p),
): Promise<DiskImageReader> {
  return openInChain(path, (inChain) => openLayer(path, (p) => inChain(() => openParent(p))));
}

function openLayer(path: string, openParent: OpenParent): Promise<DiskImageReader> {
  return openBlockLayer(path, "vhdx", async (file) => {
    const header = await readCurrentHeader(file);
    await refusePendingLog(file, header);
    const regions = await readRegions(file);
    const meta = await readMetadata(file, regions.metadata);
    const layout = new VhdxLayout(file, meta, regions.bat);
    const variant = meta.hasParent ? "differencing" : meta.leaveBlocksAllocated ? "fixed" : "dynamic";
    return {
      layout,
      variant,
      virtualSize: meta.virtualSize,
      openParent: meta.hasParent ? () => openVerifiedParent(path, meta, openParent) : undefined,
    };
  });
}

async function openVerifiedParent(
  child: string,
  meta: VhdxMetadata,
  openParent: OpenParent,
): Promise<DiskImageReader> {
  if (!meta.parentLocator)
    throw new ImageFormatError(child, "is a differencing disk without a parent locator");
  const locator = parseParentLocator(child, meta.parentLocator);
  const parentPath = await findParent(child, locator);
  if (locator.linkages.length > 0) {
    const parentFile = await ImageFile.open(parentPath);
    try {
      const { dataWriteGuid } = await readCurrentHeader(parentFile);
      if (!locator.linkages.includes(dataWriteGuid)) {
        throw new ImageFormatError(
          child,
          `its parent ${parentPath} is not the disk it was made from, or was changed since (parent DataWriteGuid ${dataWriteGuid}, recorded ${locator.linkages.join(" or ")})`,
          "Use the parent the differencing disk was made from; a parent written to after the child was made breaks the chain.",
        );
      }
    } finally {
      await parentFile.close();
    }
  }
  return openParent(parentPath);
}
