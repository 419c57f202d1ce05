/**
 * `node dist/bench/read-image.js IMAGE`: reads a whole virtual disk the way a backup does, for the
 * per-format read benchmark (bench/formats.ts): allocation() in order, data extents read in 1 MiB
 * pieces with up to IN_FLIGHT reads outstanding (the backup engine's window), each into one of a
 * few reused buffers; zero extents only counted. Prints one JSON line with the counts
 * and the time spent after opening the image, so that the caller can check nothing was skipped.
 */
import { openDiskImage } from "../main/formats/open-image.js";
import { pageAlignedBuffer } from "../main/workers/aligned-buffer.js";

const PIECE = 1024 * 1024;
/** As many reads as the backup engine keeps in flight on 2 cores (3 × workers + 2). */
const IN_FLIGHT = 8;

async function main(): Promise<void> {
  const file = process.argv[2];
  if (!file) {
    process.stderr.write("usage: node dist/bench/read-image.js IMAGE\n");
    process.exit(2);
  }
  const started = process.hrtime.bigint();
  const image = await openDiskImage(file);
  const free = Array.from({ length: IN_FLIGHT }, () => pageAlignedBuffer(PIECE));
  const running = new Set<Promise<void>>();
  let dataBytes = 0;
  let zeroBytes = 0;
  let checksum = 0;
  try {
    for await (const extent of image.allocation()) {
      if (extent.kind === "zero") {
        zeroBytes += extent.length;
        continue;
      }
      for (let done = 0; done < extent.length; done += PIECE) {
        const length = Math.min(PIECE, extent.length - done);
        while (running.size >= IN_FLIGHT) await Promise.race(running);
        const buffer = free.pop() ?? pageAlignedBuffer(PIECE);
        const target = length === PIECE ? buffer : buffer.subarray(0, length);
        const offset = extent.offset + done;
        const read: Promise<void> = image.read(offset, target).then(() => {
          // Use the data (one byte per piece), as a backup would, so that reading it is not pointless.
          checksum = (checksum + (target[length - 1] ?? 0)) | 0;
          dataBytes += length;
          free.push(buffer);
          running.delete(read);
        });
        running.add(read);
      }
    }
    await Promise.all(running);
  } finally {
    await image.close();
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(
    JSON.stringify({ virtualSize: image.virtualSize, dataBytes, zeroBytes, seconds, checksum }) + "\n",
  );
}

await main();
