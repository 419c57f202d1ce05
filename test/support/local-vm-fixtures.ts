/**
 * Hand-made VMware and libvirt VM folders for the local-source tests: .vmx/.vmsd text as
 * Workstation writes it, VMDK descriptors (text, or embedded in a "KDMV" sparse header), and a
 * disk opener that serves in-memory disks where the real image readers are not needed.
 */
import { mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import type { DiskImageReader } from "../../main/formats/disk-image.js";

export interface DescriptorFields {
  cid: string;
  parentCid?: string;
  parentHint?: string;
  createType: string;
  extents: string[];
}

export function descriptorText(f: DescriptorFields): string {
  return [
    "# Disk DescriptorFile",
    "version=1",
    'encoding="UTF-8"',
    `CID=${f.cid}`,
    `parentCID=${f.parentCid ?? "ffffffff"}`,
    'isNativeSnapshot="no"',
    `createType="${f.createType}"`,
    ...(f.parentHint === undefined ? [] : [`parentFileNameHint="${f.parentHint}"`]),
    "",
    "# Extent description",
    ...f.extents,
    "",
    "# The Disk Data Base ",
    "#DDB",
    "",
    'ddb.adapterType = "lsilogic"',
    'ddb.geometry.cylinders = "1305"',
    'ddb.virtualHWVersion = "19"',
    "",
  ].join("\n");
}

/** A monolithicSparse file's first sectors: the KDMV header and its embedded descriptor. */
export function sparseVmdk(descriptor: string, capacitySectors = 2048): Buffer {
  const descriptorSectors = 20;
  const buf = Buffer.alloc(512 * (1 + descriptorSectors));
  buf.write("KDMV", 0, "latin1");
  buf.writeUInt32LE(1, 4);
  buf.writeUInt32LE(3, 8);
  buf.writeBigUInt64LE(BigInt(capacitySectors), 12);
  buf.writeBigUInt64LE(128n, 20);
  buf.writeBigUInt64LE(1n, 28);
  buf.writeBigUInt64LE(BigInt(descriptorSectors), 36);
  buf.writeUInt32LE(512, 44);
  buf.write("\n \r\n", 73, "latin1");
  buf.write(descriptor, 512, "utf8");
  return buf;
}

export function writeSparseVmdk(
  file: string,
  fields: Omit<DescriptorFields, "createType" | "extents">,
): void {
  const text = descriptorText({
    ...fields,
    createType: "monolithicSparse",
    extents: [`RW 2048 SPARSE "${path.basename(file)}"`],
  });
  writeFileSync(file, sparseVmdk(text));
}

export const VMX_UUID_BIOS = "56 4d 1c 2e 3f 40 51 62-73 84 95 a6 b7 c8 d9 ea";

/** A Workstation 17 .vmx, trimmed, with the quirks the parser must handle. */
export function workstationVmx(nvmeDisk: string): string {
  return [
    "#!/usr/bin/vmware",
    '.encoding = "UTF-8"',
    'config.version = "8"',
    'virtualHW.version = "19"',
    'pciBridge0.present = "TRUE"',
    'displayName = "Web |22prod|22 |7C 01"',
    'guestOS = "windows9-64"',
    'memsize = "4096"',
    "numvcpus = 2 # a hand edit, unquoted",
    'cpuid.coresPerSocket = "2"',
    'firmware = "efi"',
    'nvram = "Web01.nvram"',
    'extendedConfigFile = "Web01.vmxf"',
    `uuid.bios = "${VMX_UUID_BIOS}"`,
    'vc.uuid = "52 11 22 33 44 55 66 77-88 99 aa bb cc dd ee ff"',
    "# disks",
    'SCSI0.Present = "TRUE"',
    'scsi0.virtualDev = "lsisas1068"',
    'scsi0:0.present = "TRUE"',
    'Scsi0:0.FileName = "Web01-000002.vmdk"',
    'scsi0:1.present = "FALSE"',
    'scsi0:1.fileName = "Old.vmdk"',
    'sata0.present = "TRUE"',
    'sata0:0.present = "TRUE"',
    'sata0:0.deviceType = "cdrom-image"',
    'sata0:0.fileName = "C:\\ISOs\\win10.iso"',
    'sata0:1.present = "TRUE"',
    'sata0:1.fileName = "data.vmdk"',
    'sata0:1.mode = "independent-persistent"',
    'nvme0.present = "TRUE"',
    'nvme0:0.present = "TRUE"',
    `nvme0:0.fileName = "${nvmeDisk}"`,
    'ide1:0.present = "TRUE"',
    'ide1:0.deviceType = "atapi-cdrom"',
    'ide1:0.fileName = "auto detect"',
    'ethernet0.present = "TRUE"',
    'ethernet0.connectionType = "nat"',
    'ethernet0.virtualDev = "e1000e"',
    'ethernet0.addressType = "generated"',
    'ethernet0.generatedAddress = "00:0c:29:d9:ea:5a"',
    'annotation = "Line one|0ALine two"',
    "",
  ].join("\r\n");
}

export const WORKSTATION_VMSD = [
  '.encoding = "UTF-8"',
  'snapshot.lastUID = "3"',
  'snapshot.current = "2"',
  'snapshot0.uid = "1"',
  'snapshot0.filename = "Web01-Snapshot1.vmsn"',
  'snapshot0.displayName = "Fresh install"',
  'snapshot0.createTimeHigh = "395056"',
  'snapshot0.createTimeLow = "-1506477184"',
  'snapshot0.numDisks = "1"',
  'snapshot0.disk0.fileName = "Web01.vmdk"',
  'snapshot0.disk0.node = "scsi0:0"',
  'snapshot1.uid = "2"',
  'snapshot1.parent = "1"',
  'snapshot1.displayName = "Before update"',
  'snapshot1.description = "KB5031356|0Aand drivers"',
  'snapshot1.disk0.fileName = "Web01-000001.vmdk"',
  'snapshot1.disk0.node = "scsi0:0"',
  'snapshot2.uid = "3"',
  'snapshot2.parent = "1"',
  'snapshot2.displayName = "Branch"',
  'snapshot2.disk0.fileName = "Web01-000001.vmdk"',
  'snapshot2.disk0.node = "scsi0:0"',
  'snapshot.numSnapshots = "3"',
  "",
].join("\n");

export const WORKSTATION_VMXF = `<?xml version="1.0"?>
<Foundry>
<VM>
<VMId type="string">52 7d 4e 0a 1b 2c 3d 4e-5f 60 71 82 93 a4 b5 c6</VMId>
<ClientMetaData>
<clientMetaDataAttributes/>
<HistoryEventList/></ClientMetaData>
<vmxPathName type="string">Web01.vmx</vmxPathName></VM></Foundry>
`;

/**
 * A Workstation VM folder: scsi0:0 a three-layer chain (sparse base, sparse delta, split-sparse
 * delta with a text descriptor), sata0:1 a flat disk, nvme0:0 a disk in another folder.
 */
export function makeWorkstationVm(root: string): { folder: string; vmx: string; otherDisk: string } {
  const folder = path.join(root, "Web01");
  const other = path.join(root, "elsewhere");
  mkdirSync(folder, { recursive: true });
  mkdirSync(other, { recursive: true });
  const otherDisk = path.join(other, "logs.vmdk");
  writeSparseVmdk(otherDisk, { cid: "0000abcd" });
  writeSparseVmdk(path.join(folder, "Web01.vmdk"), { cid: "fffffffe" });
  writeSparseVmdk(path.join(folder, "Web01-000001.vmdk"), {
    cid: "2a7bd2d3",
    parentCid: "fffffffe",
    parentHint: "Web01.vmdk",
  });
  writeFileSync(
    path.join(folder, "Web01-000002.vmdk"),
    descriptorText({
      cid: "7c1e0f00",
      parentCid: "2a7bd2d3",
      parentHint: "Web01-000001.vmdk",
      createType: "twoGbMaxExtentSparse",
      extents: ['RW 2048 SPARSE "Web01-000002-s001.vmdk"'],
    }),
  );
  writeFileSync(path.join(folder, "Web01-000002-s001.vmdk"), Buffer.alloc(4096));
  writeFileSync(
    path.join(folder, "data.vmdk"),
    descriptorText({
      cid: "11111111",
      createType: "monolithicFlat",
      extents: ['RW 2048 FLAT "data-flat.vmdk" 0'],
    }),
  );
  writeFileSync(path.join(folder, "data-flat.vmdk"), Buffer.alloc(2048 * 512));
  const vmx = path.join(folder, "Web01.vmx");
  writeFileSync(vmx, workstationVmx(otherDisk));
  writeFileSync(path.join(folder, "Web01.vmsd"), WORKSTATION_VMSD);
  writeFileSync(path.join(folder, "Web01.vmxf"), WORKSTATION_VMXF);
  writeFileSync(path.join(folder, "Web01.nvram"), Buffer.from("NVRAM-bytes"));
  writeFileSync(path.join(folder, "vmware.log"), "not a config file\n");
  return { folder, vmx, otherDisk };
}

/** Serves disks from memory: each path opened gets a disk of `size` bytes filled with its index. */
export class MemoryDisks {
  readonly opened: string[] = [];
  readonly closed: string[] = [];
  constructor(
    readonly size = 64 * 1024,
    readonly format = "vmdk",
    readonly failOn?: string,
  ) {}

  readonly open = (file: string): Promise<DiskImageReader> => {
    if (file === this.failOn) return Promise.reject(new Error(`cannot open ${file}`));
    const fill = this.opened.length + 1;
    this.opened.push(file);
    const { size, format, closed } = this;
    return Promise.resolve({
      info: {
        format,
        variant: "test",
        virtualSize: size,
        chain: [{ path: file, format, variant: "test", virtualSize: size, fileSize: size }],
      },
      virtualSize: size,
      async *allocation() {
        yield { offset: 0, length: size, kind: "data" as const };
      },
      read(_offset: number, target: Buffer): Promise<void> {
        target.fill(fill);
        return Promise.resolve();
      },
      close(): Promise<void> {
        closed.push(file);
        return Promise.resolve();
      },
    });
  };
}
