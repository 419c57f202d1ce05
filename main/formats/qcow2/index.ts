/**
 * qcow2 images (qemu, versions 2 and 3), read-only: standard, zero, compressed (zlib, zstd) and
 * subcluster-allocated clusters, with backing file chains. Encryption and external data files are
 * refused with a message that says how to convert the image.
 */
import type { DiskImageReader, ImageInfo } from "../disk-image.js";
import { ImageFormatError } from "../image-error.js";
import { openForReading } from "../shared/image-file.js";
import { enterChain, openBackingFile, type BackingOpener } from "./backing.js";
import { readQcow2Header, type Qcow2Header } from "./header.js";
import { Qcow2Reader } from "./reader.js";
import { Qcow2Tables } from "./tables.js";

export type { BackingOpener } from "./backing.js";
export { looksLikeQcow2 } from "../detect.js";

/**
 * Opens a qcow2 image and its backing chain. Raw and qcow2 backing files are opened here;
 * `openBacking` opens backing files of other formats (given the format named in the image, if any).
 */
export async function openQcow2(file: string, openBacking?: BackingOpener): Promise<DiskImageReader> {
  const chain = await enterChain(file);
  const handle = await openForReading(file);
  let backing: DiskImageReader | undefined;
  try {
    const stat = await handle.stat();
    if (!stat.isFile()) {
      throw new ImageFormatError(file, "is not a regular file", "qcow2 images are read from files only.");
    }
    const header = await readQcow2Header(file, handle, stat.size);
    const tables = await Qcow2Tables.load(file, handle, header, stat.size);
    if (header.backingFile !== undefined) {
      backing = await openBackingFile({
        image: file,
        name: header.backingFile,
        format: header.backingFormat,
        chain,
        openQcow2: (path) => openQcow2(path, openBacking),
        openOther: openBacking,
      });
    }
    const info = describe(file, header, stat.blocks * 512, backing);
    return new Qcow2Reader(info, file, handle, header, stat.size, tables, backing);
  } catch (err) {
    await backing?.close();
    await handle.close();
    throw err;
  }
}

function describe(file: string, header: Qcow2Header, fileSize: number, backing?: DiskImageReader): ImageInfo {
  let variant = `v${header.version}`;
  if (header.dirty) variant += " (dirty)";
  if (header.corrupt) variant += " (marked corrupt)";
  const layer = { path: file, format: "qcow2", variant, virtualSize: header.virtualSize, fileSize };
  return {
    format: "qcow2",
    variant,
    virtualSize: header.virtualSize,
    chain: [layer, ...(backing?.info.chain ?? [])],
  };
}
