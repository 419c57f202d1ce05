import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { parseLibvirtDomain } from "../../main/sources/local/libvirt-domain.js";
import {
  backedUpDiskSlots,
  buildVmwareVmx,
  writeVmwareVmx,
} from "../../main/sources/local/restore-folder.js";
import { candidatePaths } from "../../main/sources/local/vm-paths.js";
import {
  escapeVmxValue,
  parseVmxDictionary,
  unescapeVmxValue,
} from "../../main/sources/local/vmx-dictionary.js";
import { parseVmsd } from "../../main/sources/local/vmsd.js";
import { parseVmx } from "../../main/sources/local/vmx.js";
import { readVmxf } from "../../main/sources/local/vmxf.js";
import { parseXml } from "../../main/sources/local/xml.js";
import {
  VMX_UUID_BIOS,
  WORKSTATION_VMSD,
  WORKSTATION_VMXF,
  workstationVmx,
} from "../support/local-vm-fixtures.js";
import { makeTempDir } from "../support/tmp.js";

describe("VMware dictionary files", () => {
  it("reads quoted and bare values, |XX escapes, comments and keys in any case", () => {
    const dict = parseVmxDictionary(
      [
        "#!/usr/bin/vmware",
        '  DisplayName = "A |22quoted|22 |7C piped|0Aname"  # trailing comment',
        "memsize = 1024 # bare value",
        'unterminated = "rest of line',
        "not a key value line",
        'annotation = "100|25 done|23"',
      ].join("\r\n"),
      "test.vmx",
    );
    assert.equal(dict.get("displayname"), 'A "quoted" | piped\nname');
    assert.equal(dict.get("DISPLAYNAME"), dict.get("displayName"));
    assert.equal(dict.int("memsize"), 1024);
    assert.equal(dict.get("unterminated"), "rest of line");
    assert.equal(dict.get("annotation"), "100% done#");
    assert.equal(dict.size, 4);
  });

  it("decodes the file in its declared encoding, and escaped UTF-8 bytes as one character", () => {
    const cp1252 = Buffer.concat([
      Buffer.from('.encoding = "windows-1252"\ndisplayName = "Caf', "latin1"),
      Buffer.from([0xe9]),
      Buffer.from('"\nnote = "|C3|A9t|C3|A9"\n', "latin1"),
    ]);
    const dict = parseVmxDictionary(cp1252, "old.vmx");
    assert.equal(dict.get("displayName"), "Café");
    assert.equal(unescapeVmxValue("|C3|A9t|C3|A9"), "été");
  });

  it("escapes what it must so that any value reads back unchanged", () => {
    const value = 'He said "hi" | 50% #1\nnext line\tété';
    const escaped = escapeVmxValue(value);
    assert.ok(!/["#\n\t]/.test(escaped.replace(/\|[0-9A-F]{2}/g, "")));
    assert.equal(parseVmxDictionary(`k = "${escaped}"`, "t").get("k"), value);
  });

  it("refuses binary data and a file without any key", () => {
    assert.throws(
      () => parseVmxDictionary(Buffer.from([0x4b, 0x44, 0x4d, 0x56, 0, 1, 2]), "disk.vmdk"),
      /disk\.vmdk is not a VMware configuration file \(it holds binary data\)/,
    );
    assert.throws(() => parseVmxDictionary("hello\nworld\n", "x.vmx"), /no "key = value" line/);
    assert.equal(parseVmxDictionary("", "empty.vmsd").size, 0);
  });
});

describe(".vmx", () => {
  const vmx = parseVmx(workstationVmx("/vms/elsewhere/logs.vmdk"), "Web01.vmx");

  it("reads identity and hardware", () => {
    assert.equal(vmx.name, 'Web "prod" | 01');
    assert.equal(vmx.biosUuid, "564d1c2e-3f40-5162-7384-95a6b7c8d9ea");
    assert.equal(vmx.vcUuid, "52112233-4455-6677-8899-aabbccddeeff");
    assert.equal(vmx.guestOS, "windows9-64");
    assert.equal(vmx.memoryMiB, 4096);
    assert.equal(vmx.cpus, 2);
    assert.equal(vmx.hwVersion, 19);
    assert.equal(vmx.firmware, "efi");
    assert.equal(vmx.nvramFile, "Web01.nvram");
    assert.equal(vmx.extendedConfigFile, "Web01.vmxf");
  });

  it("lists present virtual disks in bus order, with controller model and mode", () => {
    assert.deepEqual(
      vmx.disks.map((d) => [d.slot, d.fileName, d.controllerType, d.mode]),
      [
        ["scsi0:0", "Web01-000002.vmdk", "lsisas1068", "persistent"],
        ["sata0:1", "data.vmdk", "ahci", "independent-persistent"],
        ["nvme0:0", "/vms/elsewhere/logs.vmdk", "nvme", "persistent"],
      ],
    );
  });

  it("says why each other device is not backed up: switched off, CD-ROMs", () => {
    const reasons = new Map(vmx.skipped.map((s) => [s.slot, s.reason]));
    assert.match(reasons.get("scsi0:1") ?? "", /not present/);
    assert.match(reasons.get("sata0:0") ?? "", /removable drive \(cdrom-image\)/);
    assert.match(reasons.get("ide1:0") ?? "", /removable drive \(atapi-cdrom\)/);
    assert.equal(vmx.skipped.length, 3);
  });

  it("skips disks on a switched-off controller and physical disks, and defaults what is absent", () => {
    const other = parseVmx(
      [
        'scsi1.present = "FALSE"',
        'scsi1:0.present = "TRUE"',
        'scsi1:0.fileName = "ghost.vmdk"',
        'scsi0:0.present = "TRUE"',
        'scsi0:0.fileName = "pd.vmdk"',
        'scsi0:0.deviceType = "rawDisk"',
        'ide0:0.present = "TRUE"',
        'ide0:0.fileName = "old.vmdk"',
      ].join("\n"),
      "t.vmx",
    );
    assert.deepEqual(
      other.disks.map((d) => [d.slot, d.controllerType]),
      [["ide0:0", "ide"]],
    );
    assert.match(other.skipped.find((s) => s.slot === "scsi0:0")?.reason ?? "", /physical disk/);
    assert.match(other.skipped.find((s) => s.slot === "scsi1:0")?.reason ?? "", /not present/);
    assert.equal(other.name, undefined);
    assert.equal(other.biosUuid, undefined);
    assert.equal(other.firmware, "bios");
  });
});

describe(".vmsd", () => {
  it("builds the snapshot tree with depths, times, descriptions and disks", () => {
    const tree = parseVmsd(WORKSTATION_VMSD, "Web01.vmsd");
    assert.equal(tree.nodes.length, 3);
    assert.deepEqual(
      tree.roots.map((r) => r.name),
      ["Fresh install"],
    );
    const root = tree.roots[0];
    assert.ok(root);
    assert.equal(root.depth, 1);
    assert.equal(root.time, "2023-10-08T08:56:28.578Z");
    assert.deepEqual(root.disks, [{ node: "scsi0:0", fileName: "Web01.vmdk" }]);
    assert.deepEqual(
      root.children.map((c) => [c.uid, c.name, c.depth, c.parentUid]),
      [
        [2, "Before update", 2, 1],
        [3, "Branch", 2, 1],
      ],
    );
    assert.equal(root.children[0]?.description, "KB5031356\nand drivers");
    assert.equal(root.children[1]?.time, undefined);
    assert.equal(tree.currentUid, 2);
    assert.equal(tree.currentDepth, 2);
  });

  it("survives a damaged tree: a loop and a missing parent become roots", () => {
    const tree = parseVmsd(
      [
        'snapshot0.uid = "1"',
        'snapshot0.parent = "2"',
        'snapshot1.uid = "2"',
        'snapshot1.parent = "1"',
        'snapshot2.uid = "5"',
        'snapshot2.parent = "9"',
        'snapshot.current = "7"',
      ].join("\n"),
      "bad.vmsd",
    );
    assert.deepEqual(tree.roots.map((r) => r.uid).sort(), [1, 5]);
    assert.deepEqual(
      tree.nodes.map((n) => n.depth),
      [1, 2, 1],
    );
    assert.equal(tree.currentUid, undefined);
    assert.equal(tree.currentDepth, 0);
  });
});

describe("XML", () => {
  it("reads elements, attributes, entities, CDATA, and skips comments and declarations", () => {
    const root = parseXml(
      `\uFEFF<?xml version="1.0"?><!-- c --><!DOCTYPE x [ <!ENTITY boom "lol"> ]>
      <a k='v &amp; w' n="&#x41;&#66;"><b>t &lt;1&gt;</b><![CDATA[<raw>]]><c/></a>`,
      "t.xml",
    );
    assert.equal(root.name, "a");
    assert.deepEqual(root.attributes, { k: "v & w", n: "AB" });
    assert.equal(root.children[0]?.text, "t <1>");
    assert.equal(root.text.trim(), "<raw>");
    assert.equal(root.children[1]?.name, "c");
  });

  it("names the problem and line of broken XML, and never expands declared entities", () => {
    assert.throws(
      () => parseXml("<a>\n<b></a>", "d.xml"),
      /d\.xml is not valid XML: <\/a> does not close <b> \(line 2\)/,
    );
    assert.throws(() => parseXml("<a>", "d.xml"), /<a> is not closed/);
    assert.throws(() => parseXml("<a/><b/>", "d.xml"), /a second root element/);
    assert.throws(() => parseXml('<!DOCTYPE a [<!ENTITY e "x">]><a>&e;</a>', "d.xml"), /unknown entity &e;/);
    assert.throws(() => parseXml("<a>AT&T</a>", "d.xml"), /not a complete entity reference/);
  });

  it("reads a .vmxf, and keeps a damaged one without failing", () => {
    const info = readVmxf(Buffer.from(WORKSTATION_VMXF), "Web01.vmxf");
    assert.equal(info.vmxPathName, "Web01.vmx");
    assert.equal(info.vmId, "52 7d 4e 0a 1b 2c 3d 4e-5f 60 71 82 93 a4 b5 c6");
    assert.equal(info.problem, undefined);
    assert.match(readVmxf(Buffer.from("<Foundry><VM>"), "x.vmxf").problem ?? "", /not closed/);
  });
});

const DOMAIN_XML = `<!-- WARNING: THIS IS AN AUTO-GENERATED FILE. -->
<domain type='kvm'>
  <name>web&amp;db</name>
  <uuid>8F1C2D3E-4A5B-6C7D-8E9F-0A1B2C3D4E5F</uuid>
  <memory unit='GiB'>4</memory>
  <currentMemory unit='KiB'>4194304</currentMemory>
  <vcpu placement='static'>4</vcpu>
  <os>
    <type arch='x86_64' machine='pc-q35-7.2'>hvm</type>
    <loader readonly='yes' type='pflash'>/usr/share/OVMF/OVMF_CODE_4M.fd</loader>
    <nvram>/var/lib/libvirt/qemu/nvram/web_VARS.fd</nvram>
  </os>
  <devices>
    <disk type='file' device='disk'>
      <driver name='qemu' type='qcow2' discard='unmap'/>
      <source file='/var/lib/libvirt/images/web.qcow2'/>
      <backingStore/>
      <target dev='vda' bus='virtio'/>
    </disk>
    <disk type="file" device="disk">
      <driver name="qemu" type="raw"/>
      <source file="data.img"/>
      <target dev="sdb" bus="sata"/>
      <readonly/>
    </disk>
    <disk type='file' device='cdrom'>
      <source file='/isos/debian.iso'/>
      <target dev='sda' bus='sata'/>
    </disk>
    <disk type='block' device='disk'>
      <source dev='/dev/vg0/web-logs'/>
      <target dev='vdc' bus='virtio'/>
    </disk>
  </devices>
</domain>
`;

describe("libvirt domain XML", () => {
  it("reads name, uuid, memory, CPUs, UEFI variables and disks", () => {
    const domain = parseLibvirtDomain(DOMAIN_XML, "/etc/libvirt/qemu/web.xml");
    assert.equal(domain.name, "web&db");
    assert.equal(domain.uuid, "8f1c2d3e-4a5b-6c7d-8e9f-0a1b2c3d4e5f");
    assert.equal(domain.memoryBytes, 4 * 1024 ** 3);
    assert.equal(domain.vcpus, 4);
    assert.equal(domain.nvram, "/var/lib/libvirt/qemu/nvram/web_VARS.fd");
    assert.deepEqual(domain.disks, [
      {
        target: "vda",
        bus: "virtio",
        file: "/var/lib/libvirt/images/web.qcow2",
        driverType: "qcow2",
        readOnly: false,
      },
      { target: "sdb", bus: "sata", file: "/etc/libvirt/qemu/data.img", driverType: "raw", readOnly: true },
    ]);
    assert.deepEqual(
      domain.skipped.map((s) => [s.target, s.device]),
      [["sda", "cdrom"]],
    );
    assert.match(domain.unreadable[0]?.reason ?? "", /block device \/dev\/vg0\/web-logs/);
    assert.equal(domain.liveStatus, false);
  });

  it("defaults memory to KiB, tells KB from KiB, and recognizes a live status file", () => {
    const kib = parseLibvirtDomain("<domain><name>a</name><memory>1024</memory></domain>", "a.xml");
    assert.equal(kib.memoryBytes, 1024 * 1024);
    const kb = parseLibvirtDomain("<domain><name>a</name><memory unit='KB'>1</memory></domain>", "a.xml");
    assert.equal(kb.memoryBytes, 1000);
    const live = parseLibvirtDomain(
      "<domstatus state='running'><domain><name>a</name></domain></domstatus>",
      "a.xml",
    );
    assert.equal(live.liveStatus, true);
    assert.throws(
      () => parseLibvirtDomain("<network><name>x</name></network>", "n.xml"),
      /not a libvirt domain/,
    );
  });
});

describe("paths written on another machine", () => {
  it("tries a Windows path's file name beside the referring file", () => {
    if (path.sep !== "/") return;
    assert.deepEqual(candidatePaths("/vms/a", "D:\\VMs\\a\\a.vmdk"), [
      "/vms/a/D:\\VMs\\a\\a.vmdk",
      "/vms/a/a.vmdk",
    ]);
    assert.deepEqual(candidatePaths("/vms/a", "..\\base\\b.vmdk"), [
      "/vms/a/..\\base\\b.vmdk",
      "/vms/base/b.vmdk",
    ]);
    assert.deepEqual(candidatePaths("/vms/a", "/old/host/a.vmdk"), ["/old/host/a.vmdk", "/vms/a/a.vmdk"]);
  });
});

describe("restored VM .vmx", () => {
  const original = workstationVmx("/vms/elsewhere/logs.vmdk");

  it("keeps the guest's hardware and controllers, with a new UUID and MAC, and parses back", () => {
    const slots = backedUpDiskSlots(original);
    assert.deepEqual(slots, ["scsi0:0", "sata0:1", "nvme0:0"]);
    const text = buildVmwareVmx({
      name: 'Web "prod" | restored #2',
      disks: slots.map((slot, i) => ({ fileName: `Web01-disk${i}.vmdk`, slot })),
      originalVmx: original,
      nvramFileName: "Web01.nvram",
      annotation: "Restored by Snapferry\nfrom restore point 1a2b3c4d",
    });
    const vmx = parseVmx(text, "restored.vmx");
    assert.equal(vmx.name, 'Web "prod" | restored #2');
    assert.equal(vmx.guestOS, "windows9-64");
    assert.equal(vmx.memoryMiB, 4096);
    assert.equal(vmx.cpus, 2);
    assert.equal(vmx.hwVersion, 19);
    assert.equal(vmx.firmware, "efi");
    assert.equal(vmx.nvramFile, "Web01.nvram");
    assert.equal(vmx.dictionary.get("annotation"), "Restored by Snapferry\nfrom restore point 1a2b3c4d");
    assert.deepEqual(
      vmx.disks.map((d) => [d.slot, d.fileName, d.controllerType, d.mode]),
      [
        ["scsi0:0", "Web01-disk0.vmdk", "lsisas1068", "persistent"],
        ["sata0:1", "Web01-disk1.vmdk", "ahci", "independent-persistent"],
        ["nvme0:0", "Web01-disk2.vmdk", "nvme", "persistent"],
      ],
    );
    assert.ok(vmx.biosUuid);
    assert.notEqual(vmx.biosUuid, parseVmx(original, "o").biosUuid);
    assert.equal(vmx.vcUuid, undefined);
    assert.equal(vmx.dictionary.get("ethernet0.virtualDev"), "e1000e");
    assert.equal(vmx.dictionary.get("ethernet0.addressType"), "generated");
    assert.equal(vmx.dictionary.get("ethernet0.generatedAddress"), undefined);
    assert.equal(vmx.skipped.length, 0);
  });

  it("keeps the UUIDs when told to", () => {
    const vmx = parseVmx(
      buildVmwareVmx({ name: "w", disks: [{ fileName: "a.vmdk" }], originalVmx: original, keepUuid: true }),
      "r.vmx",
    );
    assert.equal(vmx.dictionary.get("uuid.bios"), VMX_UUID_BIOS);
    assert.equal(vmx.vcUuid, "52112233-4455-6677-8899-aabbccddeeff");
  });

  it("uses sane defaults without a backed-up .vmx, and skips SCSI unit 7", () => {
    const disks = Array.from({ length: 9 }, (_, i) => ({ fileName: `d${i}.vmdk` }));
    const vmx = parseVmx(buildVmwareVmx({ name: "bare", disks }), "r.vmx");
    assert.equal(vmx.guestOS, "other-64");
    assert.equal(vmx.memoryMiB, 2048);
    assert.equal(vmx.hwVersion, 16);
    assert.equal(vmx.firmware, "bios");
    assert.match(
      vmx.dictionary.get("uuid.bios") ?? "",
      /^56 4d( [0-9a-f]{2}){6}-[0-9a-f]{2}( [0-9a-f]{2}){7}$/,
    );
    assert.deepEqual(
      vmx.disks.map((d) => d.slot),
      ["scsi0:0", "scsi0:1", "scsi0:2", "scsi0:3", "scsi0:4", "scsi0:5", "scsi0:6", "scsi0:8", "scsi0:9"],
    );
    assert.equal(vmx.disks[0]?.controllerType, "lsilogic");
  });

  it("writes the file whole, and never over an existing one", async () => {
    const tmp = makeTempDir("restore-vmx");
    try {
      const file = path.join(tmp.dir, "web.vmx");
      await writeVmwareVmx(file, { name: "web", disks: [{ fileName: "web.vmdk" }] });
      assert.equal(parseVmx(readFileSync(file), file).disks[0]?.fileName, "web.vmdk");
      await assert.rejects(writeVmwareVmx(file, { name: "other", disks: [] }), (err: Error) => {
        assert.match(err.message, /web\.vmx already exists/);
        return true;
      });
      assert.equal(parseVmx(readFileSync(file), file).name, "web");
    } finally {
      tmp.cleanup();
    }
  });
});
