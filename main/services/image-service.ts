/**
 * Services on disk images and VM folders themselves, without a repository: inspect and convert.
 */
import { promises as fs } from "node:fs";
import path from "node:path";
import { UsageError } from "../common/errors.js";
import { convertImage } from "../engines/convert.js";
import type { ProgressListener } from "../engines/progress.js";
import type { ImageInfo, WriteFormat } from "../formats/disk-image.js";
import { openDiskImage } from "../formats/open-image.js";
import type { VmwareFolder } from "../sources/local/vmware-folder.js";
import { existing } from "../engines/restore-target.js";

export const WRITE_FORMATS: readonly WriteFormat[] = [
  "raw",
  "vmdk",
  "vmdk-stream",
  "vmdk-flat",
  "qcow2",
  "vhdx",
];

export function parseWriteFormat(text: string): WriteFormat {
  const format = WRITE_FORMATS.find((f) => f === text);
  if (!format) throw new UsageError(`unknown format "${text}"`, `Use one of: ${WRITE_FORMATS.join(", ")}.`);
  return format;
}

export interface ImageReport {
  kind: "image";
  info: ImageInfo;
  allocatedBytes: number;
  zeroBytes: number;
}

export type InspectReport = ImageReport | { kind: "vmware-folder"; vm: VmwareFolder };

export async function inspect(location: string): Promise<InspectReport> {
  const stat = await fs.stat(location).catch(() => undefined);
  if (stat?.isDirectory() || /\.vmx$/i.test(location)) {
    const { inspectVmwareFolder } = await import("../sources/local/vmware-folder.js");
    return { kind: "vmware-folder", vm: await inspectVmwareFolder(location) };
  }
  const reader = await openDiskImage(path.resolve(location));
  try {
    let allocatedBytes = 0;
    let zeroBytes = 0;
    for await (const extent of reader.allocation()) {
      if (extent.kind === "data") allocatedBytes += extent.length;
      else zeroBytes += extent.length;
    }
    return { kind: "image", info: reader.info, allocatedBytes, zeroBytes };
  } finally {
    await reader.close();
  }
}

export async function convert(request: {
  input: string;
  output: string;
  format: WriteFormat;
  overwrite?: boolean;
  onProgress?: ProgressListener;
  signal?: AbortSignal;
}): Promise<{ bytesRead: number; bytesWritten: number; info: ImageInfo }> {
  await existing(request.output, request.overwrite ?? false);
  const reader = await openDiskImage(path.resolve(request.input));
  try {
    const result = await convertImage(
      reader,
      request.output,
      request.format,
      request.onProgress,
      request.signal,
    );
    return { ...result, info: reader.info };
  } finally {
    await reader.close();
  }
}
