/**
 * The shared set-up of the VHD and VHDX reader tests: a temporary folder holding an ext4 image and
 * a small qemu-made image with data in a few blocks.
 */
import path from "node:path";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import { requireTool } from "./cli.js";
import { makeTempDir } from "./tmp.js";
import { MiB, qemuImg, qemuIo, requireQemu } from "./vhd-fixtures.js";

export interface ImageFixture {
  dir: string;
  /** The ext4 image, raw. */
  raw: string;
  /** A small qemu-made image of 24 MiB with data in a few blocks. */
  small: string;
  cleanup: () => void;
}

export interface ImageFixtureOptions {
  /** The file extension, also the temporary folder's prefix: "vhd", "vhdx". */
  ext: string;
  /** The qemu format name: "vpc", "vhdx". */
  format: string;
  /** qemu-img create -o options for the small image. */
  createOptions: string;
  diskBytes: number;
  seed: string;
}

/** Needs qemu and mkfs.ext4 (skips the test if absent); call from `before`. */
export function makeImageFixture(options: ImageFixtureOptions): ImageFixture {
  requireQemu();
  requireTool("mkfs.ext4", "e2fsprogs");
  const { dir, cleanup } = makeTempDir(options.ext);
  const raw = path.join(dir, "ext4.raw");
  makeExt4Image(raw, {
    sizeBytes: options.diskBytes,
    seed: options.seed,
    textBytes: 3 * MiB,
    randomBytes: 4 * MiB,
  });
  const small = path.join(dir, `small.${options.ext}`);
  qemuImg("create", "-f", options.format, "-o", options.createOptions, small, "24M");
  qemuIo(options.format, small, "write -P 0x11 0 3M", "write -P 0x22 5M 1536k", "write -P 0x33 20M 4M");
  return { dir, raw, small, cleanup };
}
