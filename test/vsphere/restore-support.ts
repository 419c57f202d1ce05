/**
 * What the restore-to-vSphere tests share: restore points made with the real CLI from local
 * images, a pinned VimClient to look at what the restore made on the simulator, and the CLI
 * arguments and environment of a restore.
 */
import { randomBytes } from "node:crypto";
import { closeSync, ftruncateSync, openSync, readdirSync, writeSync } from "node:fs";
import path from "node:path";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { parseMoRef } from "../../main/sources/vsphere/moref.js";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import {
  retrieveFromContainer,
  type ObjectProperties,
} from "../../main/sources/vsphere/property-collector.js";
import { VimClient } from "../../main/sources/vsphere/vim-client.js";
import { cliOk, lastLine, requireTool } from "../support/cli.js";

export const MiB = 1024 * 1024;

export interface LocalRestorePoint {
  image: string;
  id: string;
}

/** An ext4 file system of `size` bytes backed up with `snapferry backup`. */
export async function ext4RestorePoint(repo: string, dir: string, size: number): Promise<LocalRestorePoint> {
  requireTool("mkfs.ext4", "e2fsprogs");
  const image = path.join(dir, "ext4.img");
  makeExt4Image(image, {
    sizeBytes: size,
    seed: "vsphere-restore",
    textBytes: 1.5 * MiB,
    randomBytes: 2 * MiB,
  });
  return { image, id: lastLine((await cliOk(["backup", "--repo", repo, image])).stdout) };
}

/** `data` random bytes at the start of a sparse image of `size` bytes, backed up. */
export async function sparseRestorePoint(
  repo: string,
  dir: string,
  name: string,
  data: number,
  size: number,
): Promise<LocalRestorePoint> {
  const image = path.join(dir, name);
  const fd = openSync(image, "w");
  try {
    writeSync(fd, randomBytes(data), 0, data, 0);
    ftruncateSync(fd, size);
  } finally {
    closeSync(fd);
  }
  return { image, id: lastLine((await cliOk(["backup", "--repo", repo, image])).stdout) };
}

export async function connectTo(host: string, port: number, password = "pass"): Promise<VimClient> {
  const { thumbprint } = await probeCertificate(host, port, 5000);
  return VimClient.connect({ host, port, thumbprint, username: "admin", password, timeoutMs: 30_000 });
}

export async function thumbprintOf(host: string, port: number): Promise<string> {
  return (await probeCertificate(host, port, 5000)).thumbprint;
}

export function restoreArgs(
  repo: string,
  restorePoint: string,
  target: { url: string; thumbprint: string; datastore?: string; name: string },
  extra: string[] = [],
): string[] {
  return [
    "restore",
    "--repo",
    repo,
    restorePoint,
    "--to",
    target.url,
    "--datastore",
    target.datastore ?? "LocalDS_0",
    "--name",
    target.name,
    "--user",
    "admin",
    "--accept-thumbprint",
    target.thumbprint,
    ...extra,
  ];
}

const VM_PROPERTIES = [
  "name",
  "parent",
  "config.guestId",
  "config.hardware.numCPU",
  "config.hardware.memoryMB",
  "config.hardware.device",
  "config.files.vmPathName",
  "runtime.powerState",
  "runtime.host",
];

/** Every VM of the server, with what the tests look at. */
export async function allVms(client: VimClient): Promise<ObjectProperties[]> {
  return retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { VirtualMachine: VM_PROPERTIES },
    recursive: true,
  });
}

export async function vmNamed(client: VimClient, name: string): Promise<ObjectProperties | undefined> {
  return (await allVms(client)).find((vm) => vm.props.get("name")?.text === name);
}

export function refProp(vm: ObjectProperties, name: string): MoRef | undefined {
  const node = vm.props.get(name);
  return node ? parseMoRef(node, "test") : undefined;
}

export function textProp(vm: ObjectProperties, name: string): string | undefined {
  return vm.props.get(name)?.text;
}

/** The datacenter's VM folder, by datacenter name. */
export async function vmFolderOf(client: VimClient, datacenter: string): Promise<MoRef | undefined> {
  const found = await retrieveFromContainer(client, {
    container: client.serviceContent.rootFolder,
    types: { Datacenter: ["name", "vmFolder"] },
    recursive: true,
  });
  const dc = found.find((d) => d.props.get("name")?.text === datacenter);
  return dc ? refProp(dc, "vmFolder") : undefined;
}

/** The folders in a datastore's local directory, sorted. */
export function datastoreFolders(dir: string): string[] {
  return readdirSync(dir).sort();
}

export { jsonObjects } from "../support/crash.js";
