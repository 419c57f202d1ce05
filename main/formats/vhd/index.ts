/**
 * Reading VHD images (Virtual PC / Hyper-V's first format): fixed, dynamic and differencing.
 */
import type { DiskImageReader } from "../disk-image.js";
import { BlockImageReader, layeredInfo, type BlockLayout } from "../shared/block-image.js";
import { ImageFile } from "../shared/image-file.js";
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

async function openLayer(path: string, openParent: OpenParent): Promise<DiskImageReader> {
  const file = await ImageFile.open(path);
  let parent: DiskImageReader | undefined;
  try {
    const footer = await readFooter(file);
    let layout: BlockLayout;
    if (footer.type === "fixed") {
      layout = new FixedLayout(file, footer.currentSize);
    } else {
      const header = await readDynamicHeader(file, footer.dataOffset);
      const differencing = footer.type === "differencing";
      layout = new DynamicLayout(file, header, footer.currentSize, differencing);
      if (differencing) parent = await openParent(await locateParent(file, header));
    }
    const variant = footer.type;
    const info = layeredInfo(
      { path, format: "vhd", variant, virtualSize: footer.currentSize, fileSize: file.allocatedBytes },
      parent,
    );
    return new BlockImageReader(info, file, layout, parent);
  } catch (err) {
    await parent?.close();
    await file.close();
    throw err;
  }
}
