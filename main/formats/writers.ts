/**
 * Opens a writer for a disk image of the chosen format: what a restore to a file, or a
 * conversion, writes the disk into. See DiskImageWriter for the contract every writer keeps.
 */
import type { DiskImageWriter, WriteFormat } from "./disk-image.js";
import { Qcow2Writer } from "./qcow2/writer.js";
import { RawImageWriter } from "./raw-writer.js";
import { VhdxWriter } from "./vhdx/writer.js";
import type { VmdkOptions } from "./vmdk/writer-descriptor.js";
import { VmdkFlatWriter } from "./vmdk/writer-flat.js";
import { VmdkSparseWriter } from "./vmdk/writer-sparse.js";
import { VmdkStreamWriter } from "./vmdk/writer-stream.js";

export type { VmdkAdapterType, VmdkOptions } from "./vmdk/writer-descriptor.js";

/** Format-specific choices; the VMDK ones are ignored by the other formats. */
export type DiskImageWriterOptions = VmdkOptions;

/**
 * `path` is where the finished image appears (for "vmdk-flat", the descriptor; the data goes to
 * NAME-flat.vmdk beside it). An existing file there is replaced when the image is finished, so
 * the caller decides beforehand whether that is allowed.
 */
export function createDiskImageWriter(
  format: WriteFormat,
  path: string,
  virtualSize: number,
  options: DiskImageWriterOptions = {},
): Promise<DiskImageWriter> {
  switch (format) {
    case "raw":
      return RawImageWriter.create(path, virtualSize);
    case "qcow2":
      return Qcow2Writer.create(path, virtualSize);
    case "vhdx":
      return VhdxWriter.create(path, virtualSize);
    case "vmdk":
      return VmdkSparseWriter.create(path, virtualSize, options);
    case "vmdk-stream":
      return VmdkStreamWriter.create(path, virtualSize, options);
    case "vmdk-flat":
      return VmdkFlatWriter.create(path, virtualSize, options);
  }
}
