/**
 * Reading VHD images (Virtual PC / Hyper-V's first format): fixed, dynamic and differencing.
 */
import type { DiskImageReader } from "../disk-image.js";
import { BlockImageReader, layeredInfo, type BlockLayout } from "../shared/block-image.js";
import { ImageFile } from "../shared/image-file.js";
import { openInChain } from "../shared/parent-chain.js";
import { readDynamicHeader } from "./dynamic-header.js";
import { COOKIE, FOOTER_SIZE, readFooter } from "./footer.js";
import { DynamicLayout, FixedLayout } from "./layout.js";
import { locateParent } from "./parent.js";

export type OpenParent = (path: string) => Promise<DiskImageReader>;

/**
 * A VHD starts with the footer copy ("conectix") when dynamic or differencing, and always ends
 * with the footer: `tail` is the file's last bytes (at least 512).
 */
export function looksLikeVhd(head: Buffer, tail: Buffer): boolean {
  const cookieAt = (b: Buffer, at: number) =>
    at >= 0 && b.length >= at + 8 && b.toString("latin1", at, at + 8) === COOKIE;
  return cookieAt(head, 0) || cookieAt(tail, tail.length - FOOTER_SIZE);
}

/** Opens a VHD image; `openParent` opens a differencing disk's parent (by default as a VHD). */
export function openVhd(path: string, openParent: OpenParent = (p) => openVhd(p)): Promise<DiskImageReader> {
  return openInChain(path, () => openLayer(path, openParent));
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
