/**
 * What the vSphere backup tests share: vcsim behind the CBT proxy, a repository and a config
 * folder, the CLI arguments of a vSphere backup, and set-up on the simulator (a VM's disk grown and
 * filled with a real ext4 file system, snapshots listed or made). Set-up goes through the product's
 * VimClient, pinned to the fixture's own certificate; every asserted outcome comes from the CLI.
 */
import { randomBytes } from "node:crypto";
import { execFileSync } from "node:child_process";
import {
  closeSync,
  copyFileSync,
  ftruncateSync,
  openSync,
  readFileSync,
  writeFileSync,
  writeSync,
} from "node:fs";
import path from "node:path";
import { makeExt4Image } from "../../main/demo/disk-image.js";
import type { MoRef } from "../../main/sources/vsphere/moref.js";
import { probeCertificate } from "../../main/sources/vsphere/pinned-tls.js";
import { retrieveProperties } from "../../main/sources/vsphere/property-collector.js";
import { requireReturnval, VimClient } from "../../main/sources/vsphere/vim-client.js";
import { parseMoRef } from "../../main/sources/vsphere/moref.js";
import { waitForTask } from "../../main/sources/vsphere/tasks.js";
import { allSnapshots } from "../../main/sources/vsphere/snapshot-tree.js";
import { readVmState } from "../../main/sources/vsphere/vm-state.js";
import { children, text, type XmlNode } from "../../main/sources/vsphere/soap-xml.js";
import { cliOk, requireTool } from "../support/cli.js";
import { jsonObjects } from "../support/crash.js";
import { makeTempDir } from "../support/tmp.js";
import { startVcsim, type Vcsim } from "../support/vcsim.js";
import { startCbtProxy, type CbtProxy, type CbtProxyOptions } from "./harness/cbt-proxy.js";
import { moXml, RawSoapClient } from "./harness/raw-soap.js";

export const KiB = 1024;
export const MiB = 1024 * KiB;

export interface BackupSite {
  vcsim: Vcsim;
  proxy: CbtProxy;
  /** Logged in through the proxy (snapshots it makes are frozen by it). */
  client: VimClient;
  dir: string;
  repo: string;
  /** The environment of every CLI run: the config folder and the vSphere password. */
  env: Record<string, string>;
  stop(): Promise<void>;
}

export async function connectTo(host: string, port: number): Promise<VimClient> {
  const { thumbprint } = await probeCertificate(host, port, 5000);
  return VimClient.connect({
    host,
    port,
    thumbprint,
    username: "backup",
    password: "pass",
    timeoutMs: 30_000,
  });
}

export async function startBackupSite(options: CbtProxyOptions = {}): Promise<BackupSite> {
  requireTool("mkfs.ext4", "e2fsprogs");
  const vcsim = await startVcsim();
  const proxy = await startCbtProxy(vcsim, options);
  const temp = makeTempDir("vsphere-backup");
  const repo = path.join(temp.dir, "repo");
  const env = { SNAPFERRY_CONFIG_DIR: path.join(temp.dir, "config"), SNAPFERRY_VSPHERE_PASSWORD: "pass" };
  await cliOk(["init", "--repo", repo, "--chunk-size", "256K"], env);
  const client = await connectTo(proxy.host, proxy.port);
  return {
    vcsim,
    proxy,
    client,
    dir: temp.dir,
    repo,
    env,
    stop: async () => {
      await client.close();
      await proxy.stop();
      await vcsim.stop();
      temp.cleanup();
    },
  };
}

/** `snapferry backup` of a VM of the default vCenter model through the proxy, with --json. */
export function backupArgs(site: BackupSite, vm: string, extra: string[] = [], json = true): string[] {
  return [
    "backup",
    "--repo",
    site.repo,
    `vsphere://${site.proxy.host}:${site.proxy.port}/${vm}`,
    "--user",
    "backup",
    "--accept-thumbprint",
    site.proxy.thumbprint,
    ...(json ? ["--json"] : []),
    ...extra,
  ];
}

export async function findVmRef(client: VimClient, inventoryPath: string): Promise<MoRef> {
  const searchIndex = client.serviceContent.searchIndex;
  if (!searchIndex) throw new Error("the simulator has no search index");
  const answer = await client.invoke("FindByInventoryPath", { _this: searchIndex, inventoryPath });
  return parseMoRef(requireReturnval(answer, client.server), client.server);
}

async function runTask(client: VimClient, method: string, args: Parameters<VimClient["invoke"]>[1]) {
  const answer = await client.invoke(method, args);
  const task = parseMoRef(requireReturnval(answer, client.server), client.server);
  return waitForTask(client, task, { timeoutMs: 60_000 });
}

function firstDisk(devices: XmlNode | undefined): XmlNode {
  const disk = children(devices, "VirtualDevice").find((d) => d.xsiType === "VirtualDisk");
  if (!disk) throw new Error("the VM has no disk");
  return disk;
}

/** Grows the VM's first disk to `bytes` (vcsim's disks start at 1 MiB), as an admin would. */
export async function growDisk(client: VimClient, vm: MoRef, bytes: number): Promise<void> {
  const { props } = await retrieveProperties(client, vm, ["config.hardware.device"]);
  const disk = firstDisk(props.get("config.hardware.device"));
  const backing = children(disk, "backing")[0];
  const info = children(disk, "deviceInfo")[0];
  await runTask(client, "ReconfigVM_Task", {
    _this: vm,
    spec: {
      fields: {
        deviceChange: {
          xsiType: "VirtualDeviceConfigSpec",
          fields: {
            operation: "edit",
            device: {
              xsiType: "VirtualDisk",
              fields: {
                key: text(disk, "key") ?? "0",
                deviceInfo: {
                  xsiType: "Description",
                  fields: { label: text(info, "label") ?? "Hard disk 1", summary: "" },
                },
                backing: {
                  xsiType: "VirtualDiskFlatVer2BackingInfo",
                  fields: {
                    fileName: text(backing, "fileName") ?? "",
                    diskMode: text(backing, "diskMode") ?? "persistent",
                    thinProvisioned: text(backing, "thinProvisioned") === "true",
                  },
                },
                controllerKey: text(disk, "controllerKey") ?? "0",
                unitNumber: text(disk, "unitNumber") ?? "0",
                capacityInKB: bytes / KiB,
                capacityInBytes: bytes,
              },
            },
          },
        },
      },
    },
  });
}

/**
 * The preamble of the backup tests: a site, its VM `vmName` (in DC0's VM folder) found and its first
 * disk grown to `size` bytes, and the path of that disk's live flat file.
 */
export async function startSiteWithVm(
  vmName: string,
  size: number,
): Promise<{ site: BackupSite; vm: MoRef; live: string }> {
  const site = await startBackupSite();
  const vm = await findVmRef(site.client, `DC0/vm/${vmName}`);
  await growDisk(site.client, vm, size);
  return { site, vm, live: liveFlat(site, vmName) };
}

/** The live flat file of a VM's first disk in vcsim's datastore folder. */
export function liveFlat(site: BackupSite, vmName: string): string {
  return path.join(site.vcsim.datastoreDir(), vmName, "disk1-flat.vmdk");
}

/** Fills `file` with an ext4 file system of `size` bytes holding text and random files; returns it. */
export function writeExt4(site: BackupSite, file: string, size: number, seed: string): Buffer {
  const image = path.join(site.dir, `${seed}.img`);
  makeExt4Image(image, { sizeBytes: size, seed, textBytes: 6 * MiB, randomBytes: 12 * MiB });
  copyFileSync(image, file);
  return readFileSync(file);
}

/** Overwrites `count` random 64 KiB blocks of `file` (the guest writing); returns the new content. */
export function changeBlocks(
  file: string,
  count: number,
  size: number,
): { content: Buffer; offsets: number[] } {
  const block = 64 * KiB;
  const offsets = new Set<number>();
  while (offsets.size < count) offsets.add(Math.floor(Math.random() * (size / block)) * block);
  const fd = openSync(file, "r+");
  try {
    ftruncateSync(fd, size);
    for (const offset of offsets) writeSync(fd, randomBytes(block), 0, block, offset);
  } finally {
    closeSync(fd);
  }
  return { content: readFileSync(file), offsets: [...offsets].sort((a, b) => a - b) };
}

export async function snapshotNames(client: VimClient, vm: MoRef): Promise<string[]> {
  const state = await readVmState(client, vm);
  return allSnapshots(state.rootSnapshots).map((s) => s.name);
}

/** The names of the VM's snapshots that snapferry's backups made (named "snapferry-..."). */
export async function backupSnapshotNames(client: VimClient, vm: MoRef): Promise<string[]> {
  return (await snapshotNames(client, vm)).filter((n) => n.startsWith("snapferry-"));
}

export async function createSnapshot(
  client: VimClient,
  vm: MoRef,
  name: string,
  description = "",
): Promise<void> {
  await runTask(client, "CreateSnapshot_Task", {
    _this: vm,
    name,
    description,
    memory: false,
    quiesce: false,
  });
}

export async function removeAllSnapshots(client: VimClient, vm: MoRef): Promise<void> {
  await runTask(client, "RemoveAllSnapshots_Task", { _this: vm });
}

export { jsonObjects };

export function notesOf(stdout: string): string[] {
  return jsonObjects(stdout)
    .map((o) => o.note)
    .filter((n): n is string => typeof n === "string");
}

export function resultOf(stdout: string): {
  restorePoint: string;
  type: string;
  consistency: string;
  read: number;
} {
  const result = jsonObjects(stdout).find((o) => typeof o.restorePoint === "string");
  if (!result) throw new Error(`the backup printed no result:\n${stdout}`);
  return result as unknown as { restorePoint: string; type: string; consistency: string; read: number };
}

/** Makes vcsim report VMware Tools running in the VM (vcsim's extraConfig hook), as a guest would. */
export async function setToolsRunning(site: BackupSite, vm: MoRef): Promise<void> {
  const raw = new RawSoapClient(site.proxy.url);
  try {
    await raw.login();
    await raw.runTask(
      "ReconfigVM_Task",
      `${moXml("_this", vm)}<spec><extraConfig><key>SET.guest.toolsRunningStatus</key>` +
        '<value xmlns:xsd="http://www.w3.org/2001/XMLSchema" xsi:type="xsd:string">guestToolsRunning</value>' +
        "</extraConfig></spec>",
    );
  } finally {
    raw.close();
  }
}

/** Restores `restorePoint` of the site's repository with the CLI and asserts it equals `expected` (cmp). */
export async function assertSiteRestores(
  site: BackupSite,
  restorePoint: string,
  expected: Buffer,
  name: string,
): Promise<void> {
  const want = path.join(site.dir, `${name}.expected`);
  const target = path.join(site.dir, `${name}.restored`);
  writeFileSync(want, expected);
  await cliOk(["restore", "--repo", site.repo, restorePoint, "--target", target], site.env);
  execFileSync("cmp", [want, target]); // throws, naming the first differing byte, unless identical
}
