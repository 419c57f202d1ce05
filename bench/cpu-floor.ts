/**
 * `node dist/bench/cpu-floor.js IMAGE backup|restore [THREADS]`: the CPU work a backup or a
 * restore of IMAGE cannot avoid, done with nothing else around it, as a lower bound on what the
 * real pipeline could reach on this machine.
 *
 * - backup: every 1 MiB chunk that holds data is read from the page cache, checked for zeros,
 *   given its HMAC-SHA-256 id, compressed with zstd and sealed with AES-256-GCM, by Snapferry's
 *   own codec (BlobEncoder, Sealer), split between THREADS worker threads. Nothing is written,
 *   there is no pack file, index, checkpoint or backpressure between threads.
 * - restore: the same blobs are made first (not timed), then each thread opens, decompresses and
 *   re-hashes its blobs (decodeBlob, as a restore does). Nothing is written.
 *
 * Prints one JSON line: seconds of work (after the threads started, without Node's startup or the
 * key derivation), chunks, plaintext and stored bytes.
 */
import { openSync, readSync, closeSync } from "node:fs";
import { randomBytes } from "node:crypto";
import { Worker, isMainThread, parentPort, workerData } from "node:worker_threads";
import { openDiskImage } from "../main/formats/open-image.js";
import { BlobEncoder, decodeBlob } from "../main/repository/blob-codec.js";
import { Sealer } from "../main/repository/sealer.js";
import { pageAlignedBuffer } from "../main/workers/aligned-buffer.js";

const CHUNK = 1024 * 1024;

interface Setup {
  file: string;
  mode: "backup" | "restore";
  chunks: number[];
  size: number;
  keys: { encryptionKey: Uint8Array; chunkIdKey: Uint8Array };
}

interface Report {
  seconds: number;
  chunks: number;
  plainBytes: number;
  storedBytes: number;
}

/** Chunk numbers that hold at least one allocated byte, as a backup's zero map gives them. */
async function dataChunks(file: string): Promise<{ chunks: number[]; size: number }> {
  const image = await openDiskImage(file);
  const chunks = new Set<number>();
  try {
    for await (const extent of image.allocation()) {
      if (extent.kind !== "data") continue;
      const last = Math.ceil((extent.offset + extent.length) / CHUNK);
      for (let c = Math.floor(extent.offset / CHUNK); c < last; c++) chunks.add(c);
    }
    return { chunks: [...chunks].sort((a, b) => a - b), size: image.virtualSize };
  } finally {
    await image.close();
  }
}

function workerMain(setup: Setup): Report {
  const sealer = new Sealer({
    encryptionKey: Buffer.from(setup.keys.encryptionKey),
    chunkIdKey: Buffer.from(setup.keys.chunkIdKey),
  });
  const encoder = new BlobEncoder(sealer);
  const fd = openSync(setup.file, "r");
  const buffer = pageAlignedBuffer(CHUNK);
  const zeros = Buffer.alloc(CHUNK);
  const blobs: { stored: Buffer; compression: number; length: number; id: Buffer }[] = [];
  let plainBytes = 0;
  let storedBytes = 0;
  const started = process.hrtime.bigint();
  try {
    for (const c of setup.chunks) {
      const length = Math.min(CHUNK, setup.size - c * CHUNK);
      const data = buffer.subarray(0, length);
      readSync(fd, data, 0, length, c * CHUNK);
      if (data.equals(zeros.subarray(0, length))) continue;
      const id = sealer.chunkId(data);
      const blob = encoder.encode(data);
      plainBytes += length;
      storedBytes += blob.stored.length;
      if (setup.mode === "restore") blobs.push({ ...blob, length, id });
    }
  } finally {
    closeSync(fd);
  }
  if (setup.mode === "backup") {
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return { seconds, chunks: setup.chunks.length, plainBytes, storedBytes };
  }
  const decodeStarted = process.hrtime.bigint();
  for (const b of blobs) decodeBlob(sealer, b.stored, b.compression, b.length, b.id, "chunk");
  const seconds = Number(process.hrtime.bigint() - decodeStarted) / 1e9;
  return { seconds, chunks: blobs.length, plainBytes, storedBytes };
}

async function main(): Promise<void> {
  const [file, mode, threadArg] = process.argv.slice(2);
  if (!file || (mode !== "backup" && mode !== "restore")) {
    process.stderr.write("usage: node dist/bench/cpu-floor.js IMAGE backup|restore [THREADS]\n");
    process.exit(2);
  }
  const threads = Number(threadArg ?? 2);
  const { chunks, size } = await dataChunks(file);
  const keys = { encryptionKey: randomBytes(32), chunkIdKey: randomBytes(32) };
  const reports = await Promise.all(
    Array.from({ length: threads }, (_, t) => {
      const setup: Setup = { file, mode, size, keys, chunks: chunks.filter((_c, i) => i % threads === t) };
      return new Promise<Report>((resolve, reject) => {
        const worker = new Worker(new URL(import.meta.url), { workerData: setup });
        worker.once("message", resolve);
        worker.once("error", reject);
      });
    }),
  );
  // The threads run side by side: the slower one's time is the wall time of the work.
  const total = (pick: (r: Report) => number): number => reports.reduce((s, r) => s + pick(r), 0);
  process.stdout.write(
    JSON.stringify({
      seconds: Math.max(...reports.map((r) => r.seconds)),
      chunks: total((r) => r.chunks),
      plainBytes: total((r) => r.plainBytes),
      storedBytes: total((r) => r.storedBytes),
    }) + "\n",
  );
}

if (isMainThread) await main();
else parentPort?.postMessage(workerMain(workerData as Setup));
