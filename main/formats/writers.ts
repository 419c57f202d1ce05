/**
 * Opens a writer for a disk image of the chosen format: what a restore to a file, or a
 * conversion, writes the disk into. See DiskImageWriter for the contract every writer keeps.
 */
import type { DiskImageWriter, WriteFormat } from "./disk-image.js";
import type { VmdkOptions } from "./vmdk/writer-descriptor.js";

export type { VmdkAdapterType, VmdkOptions } from "./vmdk/writer-descriptor.js";

/** Format-specific choices; the VMDK ones are ignored by the other formats. */
export type DiskImageWriterOptions = VmdkOptions;

/**
 * `path` is where the finished image appears (for "vmdk-flat", the descriptor; the data goes to
 * NAME-flat.vmdk beside it). An existing file there is replaced when the image is finished, so
 * the caller decides beforehand whether that is allowed.
 */
export async function createDiskImageWriter(
  format: WriteFormat,
  path: string,
  virtualSize: number,
  options: DiskImageWriterOptions = {},
): Promise<DiskImageWriter> {
  // Only the chosen format's writer is loaded, as only the detected format's reader is.
  switch (format) {
    case "raw":
      return (await import("./raw-writer.js")).RawImageWriter.create(path, virtualSize);
    case "qcow2":
      return (await import("./qcow2/writer.js")).Qcow2Writer.create(path, virtualSize);
    case "vhdx":
      return (await import("./vhdx/writer.js")).VhdxWriter.create(path, virtualSize);
    case "vmdk":
      return (await import("./vmdk/writer-sparse.js")).VmdkSparseWriter.create(path, virtualSize, options);
    case "vmdk-stream":
      return (await import("./vmdk/writer-stream.js")).VmdkStreamWriter.create(path, virtualSize, options);
    case "vmdk-flat":
      return (await import("./vmdk/writer-flat.js")).VmdkFlatWriter.create(path, virtualSize, options);
  }
}
