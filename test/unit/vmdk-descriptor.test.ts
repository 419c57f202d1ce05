import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeDescriptor, parseDescriptor } from "../../main/formats/vmdk/descriptor.js";
import { LruCache } from "../../main/formats/shared/lru-cache.js";

/** As ESXi writes it: CRLF line ends, a change tracking section, the disk database. */
const ESXI = [
  "# Disk DescriptorFile",
  "version=3",
  'encoding="UTF-8"',
  "CID=fb7e3e2a",
  "parentCID=ffffffff",
  'createType="vmfs"',
  "",
  "# Extent description",
  'RW 41943040 VMFS "web01-flat.vmdk"',
  "",
  "# Change Tracking File",
  'changeTrackPath="web01-ctk.vmdk"',
  "",
  "# The Disk Data Base",
  "#DDB",
  "",
  'ddb.adapterType = "lsilogic"',
  'ddb.geometry.cylinders = "2610"',
  'ddb.geometry.heads = "255"',
  'ddb.geometry.sectors = "63"',
  'ddb.longContentID = "0d3c0bc3c5f3a1b0e9c2e1e2fb7e3e2a"',
  'ddb.uuid = "60 00 C2 9a 3f 1e 0c 2d-8e 8b 6f 4a 9d 1c 5e 77"',
  'ddb.virtualHWVersion = "19"',
  "",
].join("\r\n");

describe("VMDK descriptor", () => {
  it("parses an ESXi descriptor: type, CID, extents, geometry and adapter", () => {
    const d = parseDescriptor(ESXI, "web01.vmdk");
    assert.equal(d.version, 3);
    assert.equal(d.createType, "vmfs");
    assert.equal(d.cid, 0xfb7e3e2a);
    assert.equal(d.parentCid, undefined, "ffffffff means no parent");
    assert.deepEqual(d.extents, [
      { access: "RW", sectors: 41943040, type: "VMFS", file: "web01-flat.vmdk", offsetSectors: 0 },
    ]);
    assert.equal(d.adapterType, "lsilogic");
    assert.deepEqual(d.geometry, { cylinders: 2610, heads: 255, sectors: 63 });
    assert.equal(d.ddb.get("ddb.virtualhwversion"), "19");
  });

  it("parses a snapshot delta and every extent form", () => {
    const d = parseDescriptor(
      [
        "version=1",
        "CID=0000abcd",
        "parentCID=fb7e3e2a",
        'createType="custom"',
        'parentFileNameHint="../base/web01.vmdk"',
        'rw 2048 flat "a b.bin" 1024',
        "RDONLY 1000 ZERO",
        'RW 8192 VMFSSPARSE "web01-000001-delta.vmdk"',
      ].join("\n"),
      "x.vmdk",
    );
    assert.equal(d.cid, 0xabcd);
    assert.equal(d.parentCid, 0xfb7e3e2a);
    assert.equal(d.parentFileNameHint, "../base/web01.vmdk");
    assert.deepEqual(
      d.extents.map((e) => [e.access, e.sectors, e.type, e.file, e.offsetSectors]),
      [
        ["RW", 2048, "FLAT", "a b.bin", 1024],
        ["RDONLY", 1000, "ZERO", undefined, 0],
        ["RW", 8192, "VMFSSPARSE", "web01-000001-delta.vmdk", 0],
      ],
    );
  });

  it("decodes the declared encoding and stops at the NUL padding", () => {
    const bytes = Buffer.concat([
      Buffer.from('encoding="windows-1252"\ncreateType="monolithicFlat"\nRW 8 FLAT "disque-', "latin1"),
      Buffer.from([0xe9]),
      Buffer.from('.bin" 0\n', "latin1"),
      Buffer.alloc(300),
    ]);
    const d = parseDescriptor(decodeDescriptor(bytes), "x.vmdk");
    assert.equal(d.extents[0]?.file, "disque-é.bin");
  });
});

describe("VMDK LRU cache", () => {
  it("evicts the least recently used entries beyond its cost budget and forgets failed loads", async () => {
    const lru = new LruCache<string, string>(3);
    let loads = 0;
    const load = (v: string) => () => {
      loads++;
      return Promise.resolve(v);
    };
    await lru.get("a", load("a"), 1);
    await lru.get("b", load("b"), 1);
    await lru.get("c", load("c"), 1);
    await lru.get("a", load("a"), 1); // a is now the most recent
    await lru.get("d", load("d"), 1); // evicts b
    assert.equal(loads, 4);
    await lru.get("a", load("a"), 1);
    await lru.get("b", load("b"), 1);
    assert.equal(loads, 5, "a stayed, b was reloaded");
    await assert.rejects(lru.get("e", () => Promise.reject(new Error("io")), 1));
    assert.equal(await lru.get("e", load("e"), 1), "e", "a failed load is not cached");
  });
});
