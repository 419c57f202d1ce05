/**
 * What the end-to-end specs back up and connect to: a VMware Workstation VM folder whose disk holds
 * a real ext4 file system, and vcsim with a VM given a snapshot chain, plus the thumbprint the
 * user should be shown for vcsim's certificate, read independently of the app.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import tls from "node:tls";
import { makeExt4Image } from "../../../main/demo/disk-image.js";
import { requireTool } from "../../support/cli.js";
import { moXml, RawSoapClient } from "../../vsphere/harness/raw-soap.js";

export interface VmFolder {
  /** The VM folder, as a user would point Snapferry at it. */
  dir: string;
  name: string;
  /** Its one disk (monolithic sparse VMDK). */
  vmdk: string;
  /** The same disk as raw bytes: what a restore must reproduce. */
  raw: string;
  sizeBytes: number;
}

export function makeVmFolder(root: string, name: string): VmFolder {
  requireTool("qemu-img", "qemu-utils");
  requireTool("mkfs.ext4", "e2fsprogs");
  const dir = path.join(root, name);
  mkdirSync(dir, { recursive: true });
  const sizeBytes = 48 * 1024 * 1024;
  const raw = path.join(root, `${name}-expected.raw`);
  makeExt4Image(raw, { sizeBytes, seed: `e2e ${name}`, textBytes: 8e6, randomBytes: 4e6 });
  const vmdk = path.join(dir, `${name}.vmdk`);
  execFileSync("qemu-img", ["convert", "-f", "raw", "-O", "vmdk", raw, vmdk]);
  writeFileSync(
    path.join(dir, `${name}.vmx`),
    [
      '.encoding = "UTF-8"',
      `displayName = "${name}"`,
      'guestOS = "ubuntu-64"',
      'memsize = "2048"',
      'numvcpus = "2"',
      'virtualHW.version = "19"',
      'uuid.bios = "56 4d 1c 2e 3f 40 51 62-73 84 95 a6 b7 c8 d9 eb"',
      'scsi0.present = "TRUE"',
      'scsi0.virtualDev = "pvscsi"',
      'scsi0:0.present = "TRUE"',
      `scsi0:0.fileName = "${name}.vmdk"`,
      "",
    ].join("\n"),
  );
  return { dir, name, vmdk, raw, sizeBytes };
}

/** Takes COUNT snapshots of the VM at INVENTORY_PATH, each the child of the one before. */
export async function snapshotChain(sdkUrl: string, inventoryPath: string, count: number): Promise<void> {
  const client = new RawSoapClient(sdkUrl);
  try {
    await client.login("user", "pass");
    const vm = await client.findByInventoryPath(inventoryPath);
    for (let i = 1; i <= count; i++) {
      await client.runTask(
        "CreateSnapshot_Task",
        `${moXml("_this", vm)}<name>e2e-${i}</name><description>chain level ${i}</description>` +
          "<memory>false</memory><quiesce>false</quiesce>",
      );
    }
  } finally {
    client.agent.destroy();
  }
}

/** The server certificate's SHA-256 thumbprint as colon-separated hex, read with node's TLS. */
export function serverThumbprint(host: string, port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = tls.connect({ host, port, rejectUnauthorized: false }, () => {
      const fingerprint = socket.getPeerCertificate().fingerprint256;
      socket.destroy();
      resolve(fingerprint);
    });
    socket.on("error", reject);
  });
}
