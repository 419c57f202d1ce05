/**
 * Writes a flat VMDK: the disk's bytes in a "NAME-flat.vmdk" data file (sparse on the host, so
 * holes cost nothing) and a small text descriptor "NAME.vmdk" that points at it. With createType
 * "vmfs" this is what an ESXi datastore holds, ready to attach once both files are uploaded;
 * "monolithicFlat" is the same pair for Workstation, Fusion and Player.
 *
 * The data file is renamed into place first and the descriptor last, so a descriptor, the file
 * a user or hypervisor opens, only ever appears next to complete data.
 */
import path from "node:path";
import { promises as fs } from "node:fs";
import type { DiskImageWriter } from "../disk-image.js";
import { RawImageWriter } from "../raw-writer.js";
import { StagedImageFile } from "../staged-file.js";
import { SECTOR, requireNonEmpty, requireWholeSectors } from "../write-checks.js";
import { vmdkDescriptor, type VmdkOptions } from "./writer-descriptor.js";

/** "disk.vmdk" → "disk-flat.vmdk", VMware's naming, which its tools rely on to move the pair together. */
export function flatDataPath(descriptorPath: string): string {
  const ext = path.extname(descriptorPath);
  const base = ext.toLowerCase() === ".vmdk" ? descriptorPath.slice(0, -ext.length) : descriptorPath;
  return `${base}-flat.vmdk`;
}

export class VmdkFlatWriter implements DiskImageWriter {
  readonly format = "vmdk-flat" as const;
  /** How far finish() got: abort() must undo a data file renamed into place without its descriptor. */
  private stage: "writing" | "data-in-place" | "done" = "writing";
  private descriptorFile: StagedImageFile | undefined;

  private constructor(
    private readonly descriptorPath: string,
    private readonly data: RawImageWriter,
    private readonly descriptor: string,
  ) {}

  static async create(file: string, virtualSize: number, options: VmdkOptions = {}): Promise<VmdkFlatWriter> {
    requireWholeSectors("vmdk-flat", virtualSize);
    requireNonEmpty("vmdk-flat", virtualSize);
    const dataPath = flatDataPath(file);
    const variant = options.flatVariant ?? "vmfs";
    // Built first: a name the descriptor cannot hold fails before any file is created.
    const descriptor = vmdkDescriptor(
      variant,
      {
        sectors: virtualSize / SECTOR,
        type: variant === "vmfs" ? "VMFS" : "FLAT",
        file: path.basename(dataPath),
      },
      options,
    );
    const data = await RawImageWriter.create(dataPath, virtualSize, "vmdk-flat");
    return new VmdkFlatWriter(file, data, descriptor);
  }

  write(offset: number, data: Buffer): Promise<void> {
    return this.data.write(offset, data);
  }

  async finish(): Promise<void> {
    await this.data.finish();
    this.stage = "data-in-place";
    this.descriptorFile = await StagedImageFile.create(this.descriptorPath);
    await this.descriptorFile.write(0, Buffer.from(this.descriptor, "utf8"));
    await this.descriptorFile.commit();
    this.stage = "done";
  }

  /** Removes the partial files, and the data file too if finish failed before the descriptor landed. */
  async abort(): Promise<void> {
    if (this.stage === "done") return;
    await this.descriptorFile?.discard();
    if (this.stage === "data-in-place") await fs.rm(flatDataPath(this.descriptorPath), { force: true });
    else await this.data.abort();
  }
}
