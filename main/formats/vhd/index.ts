/**
 * Reading VHD images (Virtual PC / Hyper-V's first format): fixed, dynamic and differencing.
 */
import type { DiskImageReader } from "../disk-image.js";
import { openBlockLayer } from "../shared/block-image.js";
import { openInChain } from "../shared/parent-chain.js";
import { readDynamicHeader } from "./dynamic-header.js";
import { readFooter } from "./footer.js";
import { DynamicLayout, FixedLayout } from "./layout.js";
import { locateParent } from "./parent.js";

export type OpenParent = (path: string) => Promise<DiskImageReader>;
export { looksLikeVhd } from "../detect.js";

/** Opens a VHD image; `openParent` opens a differencing disk's parent (by default as a VHD). */
export function openVhd(path: string, openParent: OpenParent = (p) => openVhd(p)): Promise<DiskImageReader> {
  return openInChain(path, (inChain) => openLayer(path, (p) => inChain(() => openParent(p))));
}

function openLayer(path: string, openParent: OpenParent): Promise<DiskImageReader> {
  return openBlockLayer(path, "vhd", async (file) => {
    const footer = await readFooter(file);
    if (footer.type === "fixed") {
      const layout = new FixedLayout(file, footer.currentSize);
      return { layout, variant: footer.type, virtualSize: footer.currentSize, openParent: undefined };
    }
    const header = await readDynamicHeader(file, footer.dataOffset);
    const differencing = footer.type === "differencing";
    const layout = new DynamicLayout(file, header, footer.currentSize, differencing);
    return {
      layout,
      variant: footer.type,
      virtualSize: footer.currentSize,
      openParent: differencing ? async () => openParent(await locateParent(file, header)) : undefined,
    };
  });
}
