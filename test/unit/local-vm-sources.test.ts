import assert from "node:assert/strict";
import { mkdirSync, renameSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { SnapferryError } from "../../main/common/errors.js";
import { openLibvirtSource } from "../../main/sources/local/libvirt.js";
import type { OpenDiskImage } from "../../main/sources/local/local-disks.js";
import { followVmdkChain } from "../../main/sources/local/vmdk-chain.js";
import { readVmdkDescriptor } from "../../main/sources/local/vmdk-descriptor.js";
import { inspectVmwareFolder } from "../../main/sources/local/vmware-folder.js";
import { openVmwareFolderSource } from "../../main/sources/local/vmware-source.js";
import { MemoryDisks, makeWorkstationVm, writeSparseVmdk } from "../support/local-vm-fixtures.js";
import { makeTempDir } from "../support/tmp.js";

const tmp = makeTempDir("local-vm");
after(() => tmp.cleanup());
let counter = 0;
function freshVm(): ReturnType<typeof makeWorkstationVm> {
  return makeWorkstationVm(path.join(tmp.dir, `vm${++counter}`));
}

function isSourceError(pattern: RegExp): (err: unknown) => boolean {
  return (err) => {
    assert.ok(err instanceof SnapferryError, String(err));
    assert.match(err.message, pattern);
    return true;
  };
}

describe("VMDK descriptors and chains", () => {
  it("reads an embedded descriptor from a KDMV sparse header, and a text descriptor", async () => {
    const vm = freshVm();
    const sparse = await readVmdkDescriptor(path.join(vm.folder, "Web01-000001.vmdk"));
    assert.equal(sparse.embedded, true);
    assert.equal(sparse.cid, "2a7bd2d3");
    assert.equal(sparse.parentCid, "fffffffe");
    assert.equal(sparse.parentFileNameHint, "Web01.vmdk");
    const text = await readVmdkDescriptor(path.join(vm.folder, "data.vmdk"));
    assert.equal(text.embedded, false);
    assert.equal(text.createType, "monolithicFlat");
    assert.deepEqual(text.extents, [
      { access: "RW", sectors: 2048, type: "FLAT", fileName: "data-flat.vmdk" },
    ]);
  });

  it("refuses a data file given in place of its descriptor", async () => {
    const vm = freshVm();
    await assert.rejects(
      readVmdkDescriptor(path.join(vm.folder, "data-flat.vmdk")),
      isSourceError(/is not a VMDK disk descriptor/),
    );
  });

  it("follows parentFileNameHint down to the base disk", async () => {
    const vm = freshVm();
    const chain = await followVmdkChain(path.join(vm.folder, "Web01-000002.vmdk"));
    assert.deepEqual(
      chain.map((l) => path.basename(l.file)),
      ["Web01-000002.vmdk", "Web01-000001.vmdk", "Web01.vmdk"],
    );
    assert.deepEqual(chain[0]?.dataFiles, [path.join(vm.folder, "Web01-000002-s001.vmdk")]);
  });

  it("names a missing parent, a changed parent and a loop", async () => {
    const vm = freshVm();
    const top = path.join(vm.folder, "Web01-000002.vmdk");
    writeSparseVmdk(path.join(vm.folder, "Web01.vmdk"), { cid: "12345678" });
    await assert.rejects(
      followVmdkChain(top),
      isSourceError(/Web01-000001\.vmdk: its parent .*Web01\.vmdk was changed after the snapshot was taken/),
    );
    rmSync(path.join(vm.folder, "Web01.vmdk"));
    await assert.rejects(
      followVmdkChain(top),
      isSourceError(/its parent disk .*Web01\.vmdk does not exist: the snapshot chain is broken/),
    );
    writeSparseVmdk(path.join(vm.folder, "Web01.vmdk"), {
      cid: "fffffffe",
      parentCid: "7c1e0f00",
      parentHint: "Web01-000002.vmdk",
    });
    await assert.rejects(followVmdkChain(top), isSourceError(/snapshot chain loops back/));
  });
});

describe("inspecting a VMware VM folder", () => {
  it("reports identity, hardware, disks with chain depth, snapshots and config files", async () => {
    const vm = freshVm();
    const info = await inspectVmwareFolder(vm.folder);
    assert.equal(info.name, 'Web "prod" | 01');
    assert.equal(info.uuid, "564d1c2e-3f40-5162-7384-95a6b7c8d9ea");
    assert.deepEqual(info.hardware, {
      guestOS: "windows9-64",
      memoryMiB: 4096,
      cpus: 2,
      hwVersion: 19,
      firmware: "efi",
    });
    assert.deepEqual(
      info.disks.map((d) => [d.slot, d.controller, d.controllerType, d.file, d.chainDepth]),
      [
        ["scsi0:0", "scsi0", "lsisas1068", path.join(vm.folder, "Web01-000002.vmdk"), 3],
        ["sata0:1", "sata0", "ahci", path.join(vm.folder, "data.vmdk"), 1],
        ["nvme0:0", "nvme0", "nvme", vm.otherDisk, 1],
      ],
    );
    assert.equal(info.disks[0]?.baseFile, path.join(vm.folder, "Web01.vmdk"));
    assert.equal(info.disks[1]?.mode, "independent-persistent");
    assert.equal(info.snapshotTree.currentDepth, 2);
    assert.equal(info.snapshotTree.roots[0]?.children.length, 2);
    assert.deepEqual(
      info.configFiles.map((f) => f.name),
      ["Web01.vmx", "Web01.vmsd", "Web01.vmxf", "Web01.nvram"],
    );
    assert.equal(info.vmxf?.vmxPathName, "Web01.vmx");
    assert.equal(info.running, false);
    assert.equal(info.skipped.length, 3);
    assert.deepEqual(await inspectVmwareFolder(vm.vmx), info);
  });

  it("asks which VM when a folder holds none or several, and names a missing disk", async () => {
    const vm = freshVm();
    const empty = path.join(tmp.dir, "empty");
    mkdirSync(empty, { recursive: true });
    writeFileSync(path.join(empty, "._Ghost.vmx"), "AppleDouble");
    await assert.rejects(inspectVmwareFolder(empty), isSourceError(/holds no \.vmx file/));
    writeFileSync(path.join(vm.folder, "Copy.vmx"), 'displayName = "copy"\n');
    await assert.rejects(
      inspectVmwareFolder(vm.folder),
      isSourceError(/holds 2 VMs \(Copy\.vmx, Web01\.vmx\)/),
    );
    rmSync(path.join(vm.folder, "data.vmdk"));
    await assert.rejects(
      inspectVmwareFolder(vm.vmx),
      isSourceError(/disk sata0:1 of Web "prod" \| 01 \(.*data\.vmdk\) does not exist/),
    );
  });

  it("sees a running VM by its lock folders, but not by a linked clone's lock on a shared parent", async () => {
    const vm = freshVm();
    mkdirSync(path.join(vm.folder, "Web01.vmdk.lck"));
    assert.equal((await inspectVmwareFolder(vm.folder)).running, false);
    mkdirSync(path.join(vm.folder, "data.vmdk.lck"));
    const byDisk = await inspectVmwareFolder(vm.folder);
    assert.deepEqual(byDisk.locks, [path.join(vm.folder, "data.vmdk.lck")]);
    mkdirSync(path.join(vm.folder, "Web01-5f2a.vmem.lck"));
    mkdirSync(path.join(vm.folder, "Web01.vmx.lck"));
    const running = await inspectVmwareFolder(vm.folder);
    assert.equal(running.running, true);
    assert.equal(running.locks.length, 3);
  });
});

describe("a VMware folder as a backup source", () => {
  it("refuses a running VM, naming the lock and what to do", async () => {
    const vm = freshVm();
    mkdirSync(path.join(vm.folder, "Web01.vmx.lck"));
    const disks = new MemoryDisks();
    await assert.rejects(openVmwareFolderSource(vm.folder, disks.open), (err: unknown) => {
      assert.ok(err instanceof SnapferryError);
      assert.equal(err.code, "source");
      assert.equal(
        err.message,
        'Web "prod" | 01 is running (lock folder Web01.vmx.lck): backing up its disks without a hypervisor snapshot would not be crash-consistent',
      );
      assert.match(
        err.hint ?? "",
        /^Shut the VM down or suspend it in VMware Workstation\/Fusion, then run the backup again; for ESXi VMs use the vSphere connector, which takes a snapshot\./,
      );
      return true;
    });
    assert.deepEqual(disks.opened, []);
  });

  it("reads every disk through its current delta and keeps the config files", async () => {
    const vm = freshVm();
    const disks = new MemoryDisks(8192);
    const source = await openVmwareFolderSource(vm.folder, disks.open);
    assert.deepEqual(source.info, {
      kind: "vmware-folder",
      location: vm.folder,
      vm: { uuid: "564d1c2e-3f40-5162-7384-95a6b7c8d9ea", name: 'Web "prod" | 01' },
    });
    assert.equal(source.consistency, "crash");
    assert.deepEqual(disks.opened, [
      path.join(vm.folder, "Web01-000002.vmdk"),
      path.join(vm.folder, "data.vmdk"),
      vm.otherDisk,
    ]);
    assert.deepEqual(
      source.disks.map((d) => [d.name, d.size]),
      [
        ["Web01.vmdk", 8192],
        ["data.vmdk", 8192],
        ["logs.vmdk", 8192],
      ],
    );
    const buf = Buffer.alloc(16);
    await source.disks[1]?.read(0, buf);
    assert.deepEqual(buf, Buffer.alloc(16, 2));
    assert.deepEqual(Object.keys(source.configFiles), [
      "Web01.vmx",
      "Web01.vmsd",
      "Web01.vmxf",
      "Web01.nvram",
    ]);
    assert.equal(source.configFiles["Web01.nvram"]?.toString(), "NVRAM-bytes");
    await source.close();
    assert.deepEqual(disks.closed, disks.opened);

    const again = await openVmwareFolderSource(vm.vmx, new MemoryDisks().open);
    assert.equal(again.fingerprint, source.fingerprint);
    await again.close();
    const later = new Date(Date.now() + 60_000);
    utimesSync(path.join(vm.folder, "Web01-000002-s001.vmdk"), later, later);
    const changed = await openVmwareFolderSource(vm.vmx, new MemoryDisks().open);
    assert.notEqual(changed.fingerprint, source.fingerprint);
    await changed.close();
  });

  it("closes the disks it opened when a later one fails to open", async () => {
    const vm = freshVm();
    const disks = new MemoryDisks(4096, "vmdk", vm.otherDisk);
    await assert.rejects(openVmwareFolderSource(vm.folder, disks.open), /cannot open .*logs\.vmdk/);
    assert.deepEqual(disks.closed, disks.opened);
    assert.equal(disks.opened.length, 2);
  });

  it("refuses a VM without any virtual disk, saying why each device was left out", async () => {
    const folder = path.join(tmp.dir, "diskless");
    mkdirSync(folder, { recursive: true });
    writeFileSync(
      path.join(folder, "Empty.vmx"),
      'displayName = "Empty"\nide1:0.present = "TRUE"\nide1:0.deviceType = "cdrom-image"\nide1:0.fileName = "x.iso"\n',
    );
    await assert.rejects(
      openVmwareFolderSource(folder, new MemoryDisks().open),
      isSourceError(/^Empty has no virtual disk to back up \(ide1:0: a removable drive \(cdrom-image\)\)$/),
    );
  });
});

function writeDomain(dir: string, extra = ""): string {
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, "web.qcow2"), "q");
  writeFileSync(path.join(dir, "data.img"), "r");
  writeFileSync(path.join(dir, "web_VARS.fd"), "uefi vars");
  const xml = path.join(dir, "web.xml");
  writeFileSync(
    xml,
    `<domain type='kvm'><name>web</name><uuid>8f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f</uuid>
      <os><nvram>web_VARS.fd</nvram></os>
      <devices>
        <disk type='file' device='disk'><driver type='qcow2'/><source file='web.qcow2'/><target dev='vda' bus='virtio'/></disk>
        <disk type='file' device='disk'><driver type='raw'/><source file='data.img'/><target dev='vdb' bus='virtio'/></disk>
        ${extra}
      </devices></domain>`,
  );
  return xml;
}

describe("a libvirt domain as a backup source", () => {
  /** Serves web.qcow2 as qcow2 and other files as raw, as the format-probing opener would. */
  function probingOpener(): OpenDiskImage {
    const qcow2 = new MemoryDisks(4096, "qcow2");
    const raw = new MemoryDisks(4096, "raw");
    return (file) => (file.endsWith(".qcow2") ? qcow2.open(file) : raw.open(file));
  }

  it("reads the image files and keeps the XML and the UEFI variables", async () => {
    const dir = path.join(tmp.dir, "libvirt-ok");
    const xml = writeDomain(dir);
    const source = await openLibvirtSource(xml, probingOpener(), { runtimeDirs: [path.join(dir, "run")] });
    assert.deepEqual(source.info, {
      kind: "libvirt",
      location: xml,
      vm: { uuid: "8f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f", name: "web" },
    });
    assert.deepEqual(
      source.disks.map((d) => d.name),
      ["web.qcow2", "data.img"],
    );
    assert.deepEqual(Object.keys(source.configFiles), ["web.xml", "web_VARS.fd"]);
    assert.match(source.fingerprint, /^[0-9a-f]{64}$/);
    await source.close();
  });

  it("refuses a running domain, a disk that is not an image file, and a format other than declared", async () => {
    const dir = path.join(tmp.dir, "libvirt-refused");
    const xml = writeDomain(dir);
    const run = path.join(dir, "run");
    mkdirSync(run, { recursive: true });
    writeFileSync(path.join(run, "web.pid"), "4242");
    await assert.rejects(
      openLibvirtSource(xml, probingOpener(), { runtimeDirs: [run] }),
      isSourceError(/^web is running \(libvirt state file .*web\.pid\): backing up its disks/),
    );
    rmSync(path.join(run, "web.pid"));

    const mislabelled = new MemoryDisks(4096, "qcow2");
    await assert.rejects(
      openLibvirtSource(xml, mislabelled.open, { runtimeDirs: [run] }),
      isSourceError(/disk vdb of web is declared raw in its XML, but .*data\.img reads as qcow2/),
    );
    assert.deepEqual(mislabelled.closed, mislabelled.opened);

    const withBlock = writeDomain(
      path.join(tmp.dir, "libvirt-block"),
      "<disk type='block' device='disk'><source dev='/dev/vg0/logs'/><target dev='vdc'/></disk>",
    );
    await assert.rejects(
      openLibvirtSource(withBlock, probingOpener(), { runtimeDirs: [run] }),
      isSourceError(/disk vdc of web is the block device \/dev\/vg0\/logs/),
    );
  });

  it("backs up a VM never started, whose UEFI variable store does not exist yet", async () => {
    const dir = path.join(tmp.dir, "libvirt-new");
    const xml = writeDomain(dir);
    renameSync(path.join(dir, "web_VARS.fd"), path.join(dir, "elsewhere.fd"));
    const source = await openLibvirtSource(xml, probingOpener(), { runtimeDirs: [] });
    assert.deepEqual(Object.keys(source.configFiles), ["web.xml"]);
    await source.close();
  });
});
