/**
 * Fuzzing the VMDK reader with fixed seeds: thousands of mutated copies of real sparse,
 * stream-optimized and COWD files. Each open and read of the first MiB must succeed or throw an
 * ImageFormatError, and finish quickly: no other exception, no hang, no runaway allocation.
 */
import assert from "node:assert/strict";
import { readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { performance } from "node:perf_hooks";
import { after, before, describe, it, type TestContext } from "node:test";
import { SeededBytes } from "../../main/demo/disk-image.js";
import { ImageFormatError } from "../../main/formats/image-error.js";
import { openVmdk } from "../../main/formats/vmdk/index.js";
import { requireTool } from "../support/cli.js";
import { makeTempDir } from "../support/tmp.js";
import {
  MiB,
  qemuImg,
  qemuIo,
  qemuRaw,
  writeCowdDelta,
  writeVmwareStream,
} from "../support/vmdk-fixtures.js";

const SECTOR = 512;
const SLOWEST_MS = 1000;

/** Changes a few bytes (or header fields) of a copy of the original file, and says what it did. */
type Mutate = (b: Buffer, rng: SeededBytes) => string;

function randomByte(from: number, to: number): Mutate {
  return (b, rng) => {
    const at = from + rng.int(Math.min(to, b.length) - from);
    b[at] = rng.int(256);
    return `byte@${at}=${b[at]}`;
  };
}

/** Header fields of a hosted sparse extent: offset and width. */
const SPARSE_FIELDS: [number, 2 | 4 | 8][] = [
  [4, 4], [8, 4], [12, 8], [20, 8], [28, 8], [36, 8], [44, 4], [48, 8], [56, 8], [64, 8], [77, 2],
]; // prettier-ignore

function sparseField(fileSectors: bigint): Mutate {
  const values = [0n, 1n, 2n, 2n ** 31n, 2n ** 32n - 1n, 2n ** 53n, 2n ** 63n, 2n ** 64n - 1n, fileSectors];
  return (b, rng) => {
    const [offset, bytes] = SPARSE_FIELDS[rng.int(SPARSE_FIELDS.length)] ?? [12, 8];
    const value = (values[rng.int(values.length)] ?? 0n) % 2n ** BigInt(bytes * 8);
    if (bytes === 8) b.writeBigUInt64LE(value, offset);
    else if (bytes === 4) b.writeUInt32LE(Number(value), offset);
    else b.writeUInt16LE(Number(value), offset);
    return `field@${offset}=${value}`;
  };
}

interface Outcome {
  opened: number;
  refused: number;
}

/**
 * Writes `iterations` mutated copies of `original` to `file` (1–3 mutations each, chosen from
 * `mutations`) and opens `open` (the file itself, or a descriptor that names it) each time.
 */
async function fuzz(
  t: TestContext,
  spec: {
    seed: string;
    original: Buffer;
    file: string;
    open: string;
    iterations: number;
    mutations: Mutate[];
  },
): Promise<Outcome> {
  const rng = new SeededBytes(spec.seed);
  const outcome = { opened: 0, refused: 0 };
  let slowest = 0;
  for (let i = 0; i < spec.iterations; i++) {
    const b = Buffer.from(spec.original);
    const changes: string[] = [];
    for (let m = 1 + rng.int(3); m > 0; m--) {
      const mutate = spec.mutations[rng.int(spec.mutations.length)];
      if (mutate) changes.push(mutate(b, rng));
    }
    writeFileSync(spec.file, b);
    const start = performance.now();
    try {
      const reader = await openVmdk(spec.open);
      try {
        await reader.read(0, Buffer.alloc(Math.min(MiB, reader.virtualSize)));
        let count = 0;
        for await (const e of reader.allocation()) if (++count > 64 || e.length <= 0) break;
      } finally {
        await reader.close();
      }
      outcome.opened++;
    } catch (err) {
      if (!(err instanceof ImageFormatError)) {
        assert.fail(
          `mutation ${i} (${changes.join(", ")}) threw ${err instanceof Error ? err.stack : String(err)}`,
        );
      }
      outcome.refused++;
    }
    slowest = Math.max(slowest, performance.now() - start);
  }
  t.diagnostic(
    `${outcome.opened} opened and read, ${outcome.refused} refused, slowest ${slowest.toFixed(1)} ms`,
  );
  assert.ok(slowest < SLOWEST_MS, `every case finishes quickly (slowest ${slowest.toFixed(0)} ms)`);
  return outcome;
}

describe("VMDK reader: fuzzing", () => {
  const tmp = makeTempDir("formats-vmdk-fuzz");
  const sparse = path.join(tmp.dir, "good.vmdk");
  let good: Buffer;

  before(() => {
    requireTool("qemu-img", "qemu-utils");
    requireTool("qemu-io", "qemu-utils");
    qemuImg("create", "-q", "-f", "vmdk", sparse, "4M");
    qemuIo(sparse, "write -P 0x41 0 64k", "write -P 0x42 1028k 8k", "write -P 0x43 3M 64k");
    good = readFileSync(sparse);
  });
  after(() => tmp.cleanup());

  it("survives 3000 mutated monolithicSparse headers, descriptors and tables", async (t) => {
    const overhead = Number(good.readBigUInt64LE(64)) * SECTOR;
    const file = path.join(tmp.dir, "fuzz-sparse.vmdk");
    const { opened, refused } = await fuzz(t, {
      seed: "vmdk header fuzz",
      original: good,
      file,
      open: file,
      iterations: 3000,
      mutations: [
        randomByte(0, SECTOR),
        randomByte(SECTOR, overhead),
        sparseField(BigInt(good.length / SECTOR)),
        randomByte(0, good.length),
      ],
    });
    assert.ok(opened > 100 && refused > 100, "both outcomes happen");
  });

  it("survives 1000 mutated stream-optimized disks (grain headers, deflate data, footer)", async (t) => {
    const stream = path.join(tmp.dir, "stream.vmdk");
    writeVmwareStream(readFileSync(qemuRaw(sparse)), stream);
    const original = readFileSync(stream);
    const file = path.join(tmp.dir, "fuzz-stream.vmdk");
    const { opened, refused } = await fuzz(t, {
      seed: "vmdk stream fuzz",
      original,
      file,
      open: file,
      iterations: 1000,
      mutations: [
        randomByte(0, original.length),
        randomByte(original.length - 3 * SECTOR, original.length),
        sparseField(BigInt(original.length / SECTOR)),
      ],
    });
    assert.ok(opened > 20 && refused > 20, "both outcomes happen");
  });

  it("survives 1000 mutated COWD snapshot deltas", async (t) => {
    const base = path.join(tmp.dir, "cowd-base.vmdk");
    writeFileSync(path.join(tmp.dir, "cowd-base-flat.vmdk"), Buffer.alloc(4 * MiB, 7));
    writeFileSync(
      base,
      `# Disk DescriptorFile\nversion=1\nCID=c0dec0de\nparentCID=ffffffff\ncreateType="vmfs"\nRW 8192 VMFS "cowd-base-flat.vmdk"\n`,
    );
    const top = writeCowdDelta(tmp.dir, "cowd-000001", 4 * MiB, { hint: "cowd-base.vmdk", cid: "c0dec0de" }, [
      { offset: 0, data: Buffer.alloc(4096, 0x61) },
      { offset: 3 * MiB + 512, data: Buffer.alloc(1024, 0x62) },
    ]);
    const delta = path.join(tmp.dir, "cowd-000001-delta.vmdk");
    const original = readFileSync(delta);
    const { opened, refused } = await fuzz(t, {
      seed: "vmdk cowd fuzz",
      original,
      file: delta,
      open: top,
      iterations: 1000,
      mutations: [randomByte(0, 32), randomByte(0, original.length)],
    });
    assert.ok(opened > 20 && refused > 20, "both outcomes happen");
  });
});
