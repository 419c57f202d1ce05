/**
 * "The next day": what a day of use does to the disk image, and the changed-ranges file that
 * changed-block tracking would report for it.
 *
 * Where the changes go matters as much as how many there are: a backup tool with 1 MiB chunks
 * must re-read and re-store a whole chunk for one changed byte, so 3% of the disk spread evenly
 * would touch almost every chunk, while the same 3% in a few places touches few. Real file
 * system churn is clustered: the journal is rewritten as a ring, bitmaps and inode tables at the
 * start of each flex group are rewritten on every allocation, and a few files (databases, logs,
 * caches) take most of the data writes, in place; files that are rewritten as a whole usually get
 * new blocks (write new file + rename), i.e. land in free space. So the ~3% of blocks (of the
 * whole image) rewritten in 64 KiB runs is split like this:
 *   - 20% as a sequential stretch of the ext4 journal, filled with copies of metadata blocks
 *     (which is what jbd2 writes there);
 *   - 15% in the metadata area (the lowest 4 MiB of used blocks: superblock, group descriptors,
 *     bitmaps, the used part of the inode tables);
 *   - 55% in a few "hot files" (one per 40 runs: 25 at 2 GiB) at random places of the used area:
 *     the k-th takes a 1/k (Zipf) share of these runs, in a region 1.2-3x as long as its runs;
 *   - 10% scattered evenly over the used area (directory blocks, small in-place edits).
 * A rewritten 64 KiB run keeps the kind of data it held (text stays text), as edits do: its old
 * content is shifted by a few bytes with a few bytes of the same run inserted in front; its
 * all-zero 4 KiB blocks are left alone.
 * (So the next-day image is no longer a consistent file system; nothing mounts it. What matters
 * to a backup tool is which bytes change and how they compress.)
 * The 50 MiB of new data are new files, allocated like ext4 does in free (never used, all-zero)
 * blocks: contiguous extents from three directory "goals" (one just after the existing data, two
 * at random free places).
 */
import { execFileSync } from "node:child_process";
import { createHash } from "node:crypto";
import { closeSync, openSync, readSync, writeFileSync, writeSync } from "node:fs";
import { SeededBytes } from "../main/demo/disk-image.js";
import { generate, logUniform, type ContentKind } from "./content.js";

const BLOCK = 4096;
const SLOT = 64 * 1024;
const BLOCKS_PER_SLOT = SLOT / BLOCK;
const MiB = 1024 * 1024;
const FULL = 2048 * MiB;
const ZERO_BLOCK = Buffer.alloc(BLOCK);

export interface ChurnSummary {
  rewriteRuns: number;
  journalRuns: number;
  metadataRuns: number;
  hotFiles: number;
  hotFileRuns: number;
  scatteredRuns: number;
  newFiles: number;
  newBytes: number;
  /** What the changed-ranges file lists. */
  ranges: number;
  changedBytes: number;
  /** How many 1 MiB chunks (Snapferry's default) the changes touch: what an incremental must read. */
  chunksTouched: number;
}

export function makeNextDay(
  base: string,
  next: string,
  rangesFile: string,
  sizeBytes: number,
): { churn: ChurnSummary; sha256: { base: string; next: string } } {
  const scale = sizeBytes / FULL;
  const rng = new SeededBytes("snapferry bench next day");
  const allocated = allocationMap(base, sizeBytes);
  const journal = journalBlocks(base);
  const candidates = usedSlots(base, sizeBytes, allocated);
  if (candidates.length === 0) throw new Error(`no used 64 KiB runs found in ${base}`);

  // `next` starts as a twin of `base` (same bytes, same hole map); the day's writes go into it.
  const src = openSync(base, "r");
  const dst = openSync(next, "r+");
  try {
    const total = Math.round((0.03 * sizeBytes) / SLOT);
    const journalRuns = Math.min(Math.round(total * 0.2), Math.floor((journal.count - 1) / BLOCKS_PER_SLOT));
    const hotFiles = Math.max(3, Math.round(total / 40));
    const metaCandidates = Math.min(candidates.length, Math.max(32, Math.round((4 * MiB * scale) / SLOT)));

    // The journal: one sequential stretch from just after the journal superblock.
    const firstJournalSlot = Math.ceil(((journal.start + 1) * BLOCK) / SLOT);
    for (let i = 0; i < journalRuns; i++) {
      const content = journalContent(rng, src, candidates.slice(0, metaCandidates), i * BLOCKS_PER_SLOT);
      writeSync(dst, content, 0, SLOT, (firstJournalSlot + i) * SLOT);
    }

    const chosen = new Set<number>();
    /** Picks `count` new slots with `drawIndex` (an index into candidates); returns how many it placed. */
    const take = (count: number, drawIndex: () => number): number => {
      let done = 0;
      for (let tries = 0; done < count && tries < count * 100; tries++) {
        const slot = candidates[drawIndex()];
        if (slot === undefined || chosen.has(slot)) continue;
        chosen.add(slot);
        done++;
      }
      return done;
    };
    const metadataRuns = take(Math.round(total * 0.15), () => rng.int(metaCandidates));
    const scatteredRuns = take(Math.round(total * 0.1), () => rng.int(candidates.length));
    // Hot files: the k-th gets a Zipf share of the runs, and is 1.2-3x as long as its runs (a hot
    // file is mostly, not entirely, rewritten), so that no region overflows.
    const hotPlanned = total - journalRuns - metadataRuns - scatteredRuns;
    let hotFileRuns = 0;
    const weights = Array.from({ length: hotFiles }, (_, k) => 1 / (k + 1));
    const weightSum = weights.reduce((a, b) => a + b, 0);
    let hotLeft = hotPlanned;
    weights.forEach((w, k) => {
      const runs = k === hotFiles - 1 ? hotLeft : Math.min(hotLeft, Math.round((hotPlanned * w) / weightSum));
      hotLeft -= runs;
      const width = Math.max(2, Math.round(runs * (1.2 + rng.int(180) / 100)));
      const start = rng.int(Math.max(1, candidates.length - width));
      hotFileRuns += take(runs, () => Math.min(candidates.length - 1, start + rng.int(width)));
    });
    for (const slot of [...chosen].sort((a, b) => a - b)) {
      const old = readAt(src, slot * SLOT, SLOT);
      const edited = editedRun(rng, old);
      // Blocks that hold nothing (unused inode slots, never-written space) are not rewritten: a
      // guest writes the blocks its files and tables occupy, and holes stay holes.
      for (let b = 0; b < SLOT; b += BLOCK) {
        if (!old.subarray(b, b + BLOCK).equals(ZERO_BLOCK)) writeSync(dst, edited, b, BLOCK, slot * SLOT + b);
      }
    }

    const fresh = writeNewFiles(rng, dst, allocated, Math.round(50 * MiB * scale));
    const { ranges, sha256 } = diffImages(base, next, sizeBytes);
    writeFileSync(rangesFile, ranges.map((r) => `${r.offset} ${r.length}\n`).join(""));
    const chunks = new Set<number>();
    for (const r of ranges) {
      for (let c = Math.floor(r.offset / MiB); c * MiB < r.offset + r.length; c++) chunks.add(c);
    }
    return {
      churn: {
        rewriteRuns: journalRuns + chosen.size,
        journalRuns,
        metadataRuns,
        hotFiles,
        hotFileRuns,
        scatteredRuns,
        newFiles: fresh.files,
        newBytes: fresh.bytes,
        ranges: ranges.length,
        changedBytes: ranges.reduce((s, r) => s + r.length, 0),
        chunksTouched: chunks.size,
      },
      sha256,
    };
  } finally {
    closeSync(src);
    closeSync(dst);
  }
}

/** One byte per 4 KiB block, 1 if ext4's block bitmaps say it is in use (from dumpe2fs). */
function allocationMap(image: string, sizeBytes: number): Uint8Array {
  const map = new Uint8Array(sizeBytes / BLOCK).fill(1);
  const text = execFileSync("dumpe2fs", [image], {
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 64 * MiB,
  });
  // Per group: "  Free blocks: 20695-32767, 40000". The unindented header line is a total, not a list.
  for (const match of text.toString().matchAll(/^\s+Free blocks: (.*)$/gm)) {
    for (const part of (match[1] ?? "").split(",")) {
      const [a, b] = part.trim().split("-");
      if (!a) continue;
      const from = Number(a);
      const to = b === undefined ? from : Number(b);
      map.fill(0, from, to + 1);
    }
  }
  return map;
}

/** The journal's first block and length (inode 8), from debugfs. */
function journalBlocks(image: string): { start: number; count: number } {
  const text = execFileSync("debugfs", ["-R", "blocks <8>", image], {
    stdio: ["ignore", "pipe", "ignore"],
    maxBuffer: 64 * MiB,
  });
  const blocks = text.toString().trim().split(/\s+/).map(Number);
  const start = blocks[0];
  if (start === undefined || !Number.isFinite(start) || blocks.length < 2) {
    throw new Error(`cannot find the ext4 journal of ${image}`);
  }
  return { start, count: blocks.length };
}

/** Slots (64 KiB-aligned runs) that are fully allocated and hold data: where rewrites can land. */
function usedSlots(image: string, sizeBytes: number, allocated: Uint8Array): number[] {
  const fd = openSync(image, "r");
  const zero = Buffer.alloc(SLOT);
  const out: number[] = [];
  try {
    const window = Buffer.alloc(8 * MiB);
    for (let at = 0; at < sizeBytes; at += window.length) {
      readFully(fd, window, at);
      for (let off = 0; off < window.length; off += SLOT) {
        const slot = (at + off) / SLOT;
        const blocks = allocated.subarray(slot * BLOCKS_PER_SLOT, (slot + 1) * BLOCKS_PER_SLOT);
        if (blocks.every((b) => b === 1) && !window.subarray(off, off + SLOT).equals(zero)) out.push(slot);
      }
    }
  } finally {
    closeSync(fd);
  }
  return out;
}

/** An edit: the run's old bytes shifted by k, with k of its own bytes inserted in front. */
function editedRun(rng: SeededBytes, old: Buffer): Buffer {
  const k = 1 + rng.int(512);
  const from = rng.int(SLOT - k);
  return Buffer.concat([old.subarray(from, from + k), old.subarray(0, SLOT - k)]);
}

/** Journal blocks: copies of metadata blocks, each behind a jbd2-like header with a sequence number. */
function journalContent(rng: SeededBytes, src: number, metadataSlots: number[], sequence: number): Buffer {
  const out = Buffer.alloc(SLOT);
  for (let b = 0; b < BLOCKS_PER_SLOT; b++) {
    const slot = metadataSlots[rng.int(metadataSlots.length)] ?? 0;
    readAt(src, slot * SLOT + rng.int(BLOCKS_PER_SLOT) * BLOCK, BLOCK).copy(out, b * BLOCK);
    // jbd2 block header: magic, block type (descriptor every 5th block, else revoke-ish), sequence.
    out.writeUInt32BE(0xc03b3998, b * BLOCK);
    out.writeUInt32BE(b % 5 === 0 ? 1 : 2, b * BLOCK + 4);
    out.writeUInt32BE(sequence + b, b * BLOCK + 8);
  }
  return out;
}

/** What the day's new files hold, in turn: a mix like the existing files, a little more binary. */
const NEW_KINDS: ContentKind[] = ["logs", "binary", "json", "media", "binary", "logs"];

/** New files in free blocks, allocated in contiguous extents from three directory goals. */
function writeNewFiles(
  rng: SeededBytes,
  dst: number,
  allocated: Uint8Array,
  total: number,
): { files: number; bytes: number } {
  const firstFree = allocated.indexOf(0);
  if (firstFree < 0) throw new Error("the image has no free blocks for new data");
  // Possible goals for new directories: free blocks on a 1 MiB grid (ext4 spreads directories).
  const free: number[] = [];
  allocated.forEach((b, i) => {
    if (b === 0 && i % 256 === 0) free.push(i);
  });
  const goals = [firstFree, free[rng.int(free.length)] ?? firstFree, free[rng.int(free.length)] ?? firstFree];
  let files = 0;
  let left = total;
  while (left > 0) {
    const n = Math.min(left, logUniform(rng, 256 * 1024, 8 * MiB));
    const data = generate(NEW_KINDS[files % NEW_KINDS.length] ?? "logs", rng, n);
    const g = files % goals.length;
    let block = goals[g] ?? firstFree;
    for (let done = 0; done < n; block = (block + 1) % allocated.length) {
      if (allocated[block] === 1) continue;
      allocated[block] = 1;
      const len = Math.min(BLOCK, n - done);
      writeSync(dst, data, done, len, block * BLOCK);
      done += len;
    }
    goals[g] = block;
    left -= n;
    files++;
  }
  return { files, bytes: total };
}

interface Range {
  offset: number;
  length: number;
}

/**
 * Compares the two images block by block and lists where they differ: runs of differing 4 KiB
 * blocks, trimmed to their first and last differing byte. No byte outside the ranges differs.
 */
function diffImages(
  a: string,
  b: string,
  sizeBytes: number,
): { ranges: Range[]; sha256: { base: string; next: string } } {
  const fa = openSync(a, "r");
  const fb = openSync(b, "r");
  const ha = createHash("sha256");
  const hb = createHash("sha256");
  const ranges: Range[] = [];
  try {
    const wa = Buffer.alloc(8 * MiB);
    const wb = Buffer.alloc(8 * MiB);
    for (let at = 0; at < sizeBytes; at += wa.length) {
      readFully(fa, wa, at);
      readFully(fb, wb, at);
      ha.update(wa);
      hb.update(wb);
      for (let off = 0; off < wa.length; off += BLOCK) {
        const x = wa.subarray(off, off + BLOCK);
        const y = wb.subarray(off, off + BLOCK);
        if (x.equals(y)) continue;
        let first = 0;
        while (x[first] === y[first]) first++;
        let last = BLOCK - 1;
        while (x[last] === y[last]) last--;
        const start = at + off + first;
        const end = at + off + last + 1;
        const prev = ranges.at(-1);
        // A differing block right after the previous range's last block continues that range.
        if (prev && Math.floor((prev.offset + prev.length - 1) / BLOCK) === (at + off) / BLOCK - 1) {
          prev.length = end - prev.offset;
        } else {
          ranges.push({ offset: start, length: end - start });
        }
      }
    }
  } finally {
    closeSync(fa);
    closeSync(fb);
  }
  return { ranges, sha256: { base: ha.digest("hex"), next: hb.digest("hex") } };
}

function readAt(fd: number, offset: number, length: number): Buffer {
  const buf = Buffer.alloc(length);
  readFully(fd, buf, offset);
  return buf;
}

function readFully(fd: number, buf: Buffer, offset: number): void {
  for (let done = 0; done < buf.length;) {
    const n = readSync(fd, buf, done, buf.length - done, offset + done);
    if (n === 0) throw new Error(`short read at ${offset + done}`);
    done += n;
  }
}
