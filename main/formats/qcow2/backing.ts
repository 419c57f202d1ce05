/**
 * Backing files: an unallocated qcow2 cluster reads from the image it was layered on, which may
 * be raw, qcow2 or (through an injected opener) any other format. A chain is bounded in depth and
 * may not loop, however it is reached: the chain being opened travels in an AsyncLocalStorage, so
 * it is seen even when an injected opener (the general format detection) opens the next qcow2
 * layer by calling `openQcow2` again.
 */
import { AsyncLocalStorage } from "node:async_hooks";
import { promises as fs } from "node:fs";
import type { FileHandle } from "node:fs/promises";
import path from "node:path";
import { errnoCode } from "../../common/errors.js";
import type { DiskImageReader, Extent, ImageInfo } from "../disk-image.js";
import { ImageFormatError } from "../image-error.js";
import { QCOW2_MAGIC } from "./header.js";
import { readAt } from "./io.js";

/** Opens a backing file of a format other than raw and qcow2, e.g. openDiskImage. */
export type BackingOpener = (path: string, format: string | undefined) => Promise<DiskImageReader>;

/** Backing files below the top image; real chains are a handful deep. */
export const MAX_BACKING_DEPTH = 32;

/** Real paths of the images whose backing files are being opened, top first. */
const openingChain = new AsyncLocalStorage<readonly string[]>();

/** Refuses an image that is already in the chain being opened. */
export async function enterChain(file: string): Promise<readonly string[]> {
  const chain = openingChain.getStore() ?? [];
  const real = await fs.realpath(file).catch(() => path.resolve(file));
  if (chain.includes(real)) {
    throw new ImageFormatError(
      file,
      `the backing file chain loops: ${[...chain, real].join(" -> ")}`,
      "Fix the chain with `qemu-img rebase -u -b <backing> -F <format> <image>`.",
    );
  }
  return [...chain, real];
}

/** Known first bytes of formats that must not be mistaken for a raw disk. */
const OTHER_MAGICS: [string, Buffer][] = [
  ["vmdk", Buffer.from("KDMV", "latin1")],
  ["vmdk", Buffer.from("# Disk DescriptorFile", "latin1")],
  ["vhdx", Buffer.from("vhdxfile", "latin1")],
  ["vpc", Buffer.from("conectix", "latin1")],
  ["vdi", Buffer.from("<<< ", "latin1")],
];

export interface BackingRequest {
  /** The image naming the backing file. */
  image: string;
  name: string;
  format: string | undefined;
  /** The chain so far, from `enterChain`, ending with `image`: its length is the backing file's depth. */
  chain: readonly string[];
  openQcow2: (file: string) => Promise<DiskImageReader>;
  openOther: BackingOpener | undefined;
}

export async function openBackingFile(req: BackingRequest): Promise<DiskImageReader> {
  const { image, name } = req;
  if (req.chain.length > MAX_BACKING_DEPTH) {
    throw new ImageFormatError(
      image,
      `the backing file chain is deeper than ${MAX_BACKING_DEPTH} files`,
      "Flatten the chain with `qemu-img convert` (or `qemu-img commit`) and back up the result.",
    );
  }
  if (name.startsWith("json:") || name.includes("://")) {
    throw new ImageFormatError(
      image,
      `the backing file ${name} is not a local file, which is not supported`,
      "Convert the image to a self-contained one with `qemu-img convert`.",
    );
  }
  // qemu resolves a relative backing name against the folder of the image that names it.
  const file = path.resolve(path.dirname(image), name);
  await checkBackingExists(image, file);
  const format = req.format?.toLowerCase() ?? (await detectFormat(image, file));
  return openingChain.run(req.chain, () => {
    if (format === "raw" || format === "file") return openRawBacking(image, file, req.openOther);
    if (format === "qcow2") return req.openQcow2(file);
    if (req.openOther) return req.openOther(file, req.format);
    throw new ImageFormatError(
      image,
      `the backing file ${file} is a ${format} image, which the qcow2 reader cannot open by itself`,
      "Open the image through the general image opener, or convert the chain with `qemu-img convert`.",
    );
  });
}

function missingBacking(image: string, file: string, err: unknown): ImageFormatError {
  const code = errnoCode(err);
  const problem =
    code === "ENOENT"
      ? `its backing file ${file} does not exist`
      : `its backing file ${file} cannot be read (${code ?? String(err)})`;
  return new ImageFormatError(
    image,
    problem,
    "Put the backing file back where the image expects it, or rebase with `qemu-img rebase -u`.",
  );
}

async function checkBackingExists(image: string, file: string): Promise<void> {
  let isFolder: boolean;
  try {
    isFolder = (await fs.stat(file)).isDirectory();
  } catch (err) {
    throw missingBacking(image, file, err);
  }
  if (isFolder) {
    throw new ImageFormatError(
      image,
      `its backing file ${file} is a folder`,
      "Rebase the image with `qemu-img rebase -u`.",
    );
  }
}

/** Without a backing format extension, the first bytes decide (as qemu probes). */
async function detectFormat(image: string, file: string): Promise<string> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (err) {
    throw missingBacking(image, file, err);
  }
  const head = Buffer.alloc(32);
  try {
    await readAt(handle, head, 0);
  } catch (err) {
    throw missingBacking(image, file, err);
  } finally {
    await handle.close();
  }
  if (head.readUInt32BE(0) === QCOW2_MAGIC) return "qcow2";
  for (const [format, magic] of OTHER_MAGICS) {
    if (head.subarray(0, magic.length).equals(magic)) return format;
  }
  return "raw";
}

async function openRawBacking(
  image: string,
  file: string,
  openOther: BackingOpener | undefined,
): Promise<DiskImageReader> {
  let handle: FileHandle;
  try {
    handle = await fs.open(file, "r");
  } catch (err) {
    throw missingBacking(image, file, err);
  }
  const stat = await handle.stat();
  if (!stat.isFile()) {
    await handle.close();
    // A block device's size is not in its stat; the general opener knows how to find it.
    if (openOther) return openOther(file, "raw");
    throw new ImageFormatError(
      image,
      `its raw backing file ${file} is not a regular file`,
      "Open the image through the general image opener, which reads block devices.",
    );
  }
  return new RawBacking(file, handle, stat.size, stat.blocks * 512);
}

/** A raw backing file: all of it counts as data (holes are not looked for). */
class RawBacking implements DiskImageReader {
  readonly info: ImageInfo;

  constructor(
    file: string,
    private readonly handle: FileHandle,
    readonly virtualSize: number,
    fileSize: number,
  ) {
    const layer = { path: file, format: "raw", variant: "raw", virtualSize, fileSize };
    this.info = { format: "raw", variant: "raw", virtualSize, chain: [layer] };
  }

  async *allocation(): AsyncIterable<Extent> {
    if (this.virtualSize > 0) yield { offset: 0, length: this.virtualSize, kind: "data" };
  }

  read(offset: number, target: Buffer): Promise<void> {
    return readAt(this.handle, target, offset);
  }

  close(): Promise<void> {
    return this.handle.close();
  }
}
