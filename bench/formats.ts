/**
 * Per-format read throughput (`npm run bench -- --only formats`): the benchmark's base image
 * converted with `qemu-img convert` into every format Snapferry reads, then the whole virtual disk
 * read by Snapferry (bench/read-image.ts, through openDiskImage, the way a backup reads it) and by
 * qemu-img, best of N rounds, page cache warm for both.
 *
 * What qemu-img does, and why it is the fairest comparison found: `qemu-img convert -n -S 0 -f FMT
 * SRC --target-image-opts driver=null-co,size=N`. Both sides only read: Snapferry reads into a
 * reused 1 MiB buffer and writes nothing, and qemu-img writes into the null block driver, which
 * discards writes without copying or syscalls. Writing to a real file (even a sparse one in
 * bench/out/work) would add page-cache copies and writeback to one side only, or to both but
 * then measure the disk more than the reader; `qemu-img compare SRC SRC` reads every cluster twice.
 * Both skip unallocated and zero clusters from the format's metadata (qemu-img through block
 * status, Snapferry through allocation()) without reading them. `-S 0` turns off qemu-img's
 * scanning of read data for zeros, which Snapferry's read loop does not do either. qemu-img keeps
 * its defaults otherwise (8 coroutines in flight, its own read sizes); Snapferry reads one piece
 * at a time. Both are timed as whole processes (wall clock, GNU time for CPU and RSS), so
 * Snapferry's time includes Node's startup (about 0.05 s).
 */
import { existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { formatNotes, markdownTable, parityLine } from "./markdown-table.js";
import { busyCpuSeconds, diskUsage, measure, warmCache } from "./measure.js";

const MiB = 1024 * 1024;

export interface FormatSpec {
  id: string;
  label: string;
  /** qemu-img's name for the format (-f / -O). */
  qemu: string;
  file: string;
  convertOptions: string[];
  /** Files the image is made of, besides `file` (the extent of a flat VMDK). */
  extra: string[];
  /** Snapferry should read it at least as fast as qemu-img does. */
  parityTarget: boolean;
}

export const FORMATS: FormatSpec[] = [
  {
    id: "raw",
    label: "raw",
    qemu: "raw",
    file: "disk.raw",
    convertOptions: [],
    extra: [],
    parityTarget: true,
  },
  {
    id: "vmdk-flat",
    label: "VMDK monolithicFlat",
    qemu: "vmdk",
    file: "flat.vmdk",
    convertOptions: ["-o", "subformat=monolithicFlat"],
    extra: ["flat-flat.vmdk"],
    parityTarget: true,
  },
  {
    id: "vmdk-sparse",
    label: "VMDK monolithicSparse",
    qemu: "vmdk",
    file: "sparse.vmdk",
    convertOptions: ["-o", "subformat=monolithicSparse"],
    extra: [],
    parityTarget: false,
  },
  {
    id: "vmdk-stream",
    label: "VMDK streamOptimized",
    qemu: "vmdk",
    file: "stream.vmdk",
    convertOptions: ["-o", "subformat=streamOptimized"],
    extra: [],
    parityTarget: false,
  },
  {
    id: "qcow2",
    label: "qcow2",
    qemu: "qcow2",
    file: "disk.qcow2",
    convertOptions: [],
    extra: [],
    parityTarget: true,
  },
  {
    id: "qcow2-c",
    label: "qcow2 compressed (-c)",
    qemu: "qcow2",
    file: "compressed.qcow2",
    convertOptions: ["-c"],
    extra: [],
    parityTarget: false,
  },
  {
    id: "vhdx",
    label: "VHDX dynamic",
    qemu: "vhdx",
    file: "dynamic.vhdx",
    convertOptions: ["-o", "subformat=dynamic"],
    extra: [],
    parityTarget: false,
  },
  {
    id: "vhd",
    label: "VHD dynamic",
    qemu: "vpc",
    // force_size: keep the exact virtual size instead of rounding it to a CHS geometry.
    file: "dynamic.vhd",
    convertOptions: ["-o", "subformat=dynamic,force_size=on"],
    extra: [],
    parityTarget: false,
  },
];

export interface FormatRow {
  id: string;
  label: string;
  virtualSize: number;
  /** Allocated bytes of the image's files (du). */
  fileBytes: number;
  dataBytes?: number;
  snapferrySeconds?: number;
  snapferryRssMiB?: number;
  /** Snapferry's own time from opening the image to its last byte (no Node startup), best round. */
  snapferryReadSeconds?: number;
  qemuSeconds?: number;
  parityTarget: boolean;
  /** CPU seconds other processes used during each measurement where they used a noticeable amount. */
  othersCpu: number[];
  failed?: string;
}

export interface FormatsOptions {
  outDir: string;
  /** The benchmark's base image (raw) and the key its copies are cached under. */
  image: string;
  cacheKey: string;
  virtualSize: number;
  repeat: number;
  logFile: string;
  say: (s: string) => void;
}

/** Converts the base image into every format once; later runs reuse the copies of the same image. */
function prepareCopies(o: FormatsOptions): string {
  const parent = path.join(o.outDir, "formats");
  const dir = path.join(parent, o.cacheKey);
  const done = path.join(dir, "complete");
  mkdirSync(parent, { recursive: true });
  // Copies of an older image of the same size (keys are "v5-2048MiB-<sha256 prefix>") take
  // gigabytes and are useless now.
  const size = o.cacheKey.split("-")[1];
  for (const old of readdirSync(parent)) {
    if (old !== o.cacheKey && old.split("-")[1] === size) rmSync(path.join(parent, old), { recursive: true });
  }
  if (existsSync(done)) {
    o.say(`using cached format copies in ${dir}`);
    return dir;
  }
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  for (const f of FORMATS) {
    const started = Date.now();
    measure(
      [
        "qemu-img",
        "convert",
        "-f",
        "raw",
        "-O",
        f.qemu,
        ...f.convertOptions,
        o.image,
        path.join(dir, f.file),
      ],
      { logFile: o.logFile, cwd: dir },
    );
    o.say(`  converted to ${f.label} in ${((Date.now() - started) / 1000).toFixed(1)} s`);
  }
  writeFileSync(done, "");
  return dir;
}

interface ReadResult {
  seconds: number;
  virtualSize: number;
  dataBytes: number;
  zeroBytes: number;
}

/** One round of one format: both readers, each after warming the page cache with the image's files. */
function measureFormat(
  o: FormatsOptions,
  dir: string,
  f: FormatSpec,
  row: FormatRow,
  readScript: string,
): void {
  const files = [f.file, ...f.extra].map((x) => path.join(dir, x));
  const src = path.join(dir, f.file);
  const timed = (argv: string[]): ReturnType<typeof measure> => {
    files.forEach(warmCache);
    const cpuBefore = busyCpuSeconds();
    const m = measure(argv, { logFile: o.logFile, cwd: dir });
    const others = busyCpuSeconds() - cpuBefore - m.cpuSeconds;
    if (others > 0.25 * m.seconds + 0.5) row.othersCpu.push(others);
    return m;
  };
  const snap = timed([process.execPath, readScript, src]);
  const result = JSON.parse(snap.stdout.trim().split("\n").at(-1) ?? "{}") as ReadResult;
  if (result.virtualSize !== o.virtualSize || result.dataBytes + result.zeroBytes !== o.virtualSize) {
    throw new Error(
      `Snapferry read ${result.dataBytes} data + ${result.zeroBytes} zero bytes of a ${result.virtualSize}-byte disk; expected ${o.virtualSize}`,
    );
  }
  row.dataBytes = result.dataBytes;
  if (row.snapferrySeconds === undefined || snap.seconds < row.snapferrySeconds)
    row.snapferrySeconds = snap.seconds;
  row.snapferryReadSeconds = Math.min(row.snapferryReadSeconds ?? Infinity, result.seconds);
  row.snapferryRssMiB = Math.max(row.snapferryRssMiB ?? 0, snap.peakRssMiB);
  const target = `driver=null-co,size=${o.virtualSize}`;
  const qemu = timed([
    "qemu-img",
    "convert",
    "-n",
    "-S",
    "0",
    "-f",
    f.qemu,
    src,
    "--target-image-opts",
    target,
  ]);
  if (row.qemuSeconds === undefined || qemu.seconds < row.qemuSeconds) row.qemuSeconds = qemu.seconds;
}

/**
 * Rounds go through every format in turn, as the backup rounds go through every tool; a format
 * that failed is not measured again. `rows[i]` belongs to FORMATS[i].
 */
export function measureInRounds<R extends { failed?: string }>(
  o: FormatsOptions,
  rows: R[],
  measureOne: (f: FormatSpec, row: R, round: number) => void,
): void {
  for (let round = 1; round <= o.repeat; round++) {
    o.say(`  round ${round} of ${o.repeat}`);
    FORMATS.forEach((f, i) => {
      const row = rows[i];
      if (!row || row.failed) return;
      try {
        measureOne(f, row, round);
      } catch (err) {
        row.failed = String(err instanceof Error ? err.message : err).split("\n")[0];
        o.say(`  ${f.label} FAILED: ${row.failed}`);
      }
    });
  }
}

export function runFormats(o: FormatsOptions): { rows: FormatRow[]; dir: string } {
  o.say(`\n== formats: read throughput of ${o.virtualSize / MiB} MiB virtual disk per format`);
  const dir = prepareCopies(o);
  const readScript = fileURLToPath(new URL("./read-image.js", import.meta.url));
  const rows: FormatRow[] = FORMATS.map((f) => ({
    id: f.id,
    label: f.label,
    virtualSize: o.virtualSize,
    fileBytes:
      diskUsage(path.join(dir, f.file)) + f.extra.reduce((s, x) => s + diskUsage(path.join(dir, x)), 0),
    parityTarget: f.parityTarget,
    othersCpu: [],
  }));
  measureInRounds(o, rows, (f, row) => measureFormat(o, dir, f, row, readScript));
  for (const r of rows) {
    o.say(
      `  ${r.label.padEnd(24)} Snapferry ${mbps(r, r.snapferrySeconds).padStart(6)} MB/s  qemu-img ${mbps(r, r.qemuSeconds).padStart(6)} MB/s`,
    );
  }
  return { rows, dir };
}

function mbps(r: FormatRow, seconds: number | undefined): string {
  return seconds ? (r.virtualSize / 1e6 / seconds).toFixed(0) : "";
}

/** qemu-img's time / Snapferry's: whole processes, or (`inProcess`) Snapferry without Node's startup. */
function ratio(r: FormatRow, inProcess = false): number | undefined {
  const snap = inProcess ? r.snapferryReadSeconds : r.snapferrySeconds;
  return snap && r.qemuSeconds && !r.failed ? r.qemuSeconds / snap : undefined;
}

export function formatsTable(rows: FormatRow[]): string {
  const header = [
    "format",
    "virtual MiB",
    "file MiB",
    "Snapferry MB/s",
    "qemu-img MB/s",
    "ratio",
    "ratio w/o Node startup",
    "Snapferry s",
    "qemu-img s",
    "Snapferry RSS MiB",
    "notes",
  ];
  const body = rows.map((r) => {
    const x = ratio(r);
    return [
      r.label,
      (r.virtualSize / MiB).toFixed(0),
      (r.fileBytes / MiB).toFixed(0),
      r.failed ? "FAILED" : mbps(r, r.snapferrySeconds),
      mbps(r, r.qemuSeconds),
      x === undefined ? "" : `${x.toFixed(2)}x`,
      ratio(r, true)?.toFixed(2).concat("x") ?? "",
      r.snapferrySeconds?.toFixed(2) ?? "",
      r.qemuSeconds?.toFixed(2) ?? "",
      r.snapferryRssMiB?.toFixed(0) ?? "",
      formatNotes(r.othersCpu, r.failed),
    ];
  });
  return markdownTable(header, body, (i) => i >= 1 && i <= 9);
}

/** "parity or better with qemu-img for raw, flat VMDK and uncompressed qcow2", one line per format. */
export function formatTargetLines(rows: FormatRow[]): string[] {
  return rows
    .filter((r) => r.parityTarget)
    .map((r) => {
      const y = ratio(r, true);
      const extra = y === undefined ? "" : ` (${y.toFixed(2)}x without Node's startup)`;
      return parityLine(ratio(r), `${r.label} read speed >= qemu-img's`, extra);
    });
}

export const FORMATS_METHOD = [
  "Method: the base image converted by `qemu-img convert` into each format (cached in bench/out/formats/), then the whole virtual disk read",
  "by Snapferry (`openDiskImage`, `allocation()` in order, data extents read in 1 MiB pieces into one reused buffer, zero extents only counted, as a backup does)",
  "and by `qemu-img convert -n -S 0 -f FMT SRC --target-image-opts driver=null-co,size=N` (the null driver discards what it is given, so both sides only read;",
  "both skip unallocated and zero clusters from the metadata; `-S 0` turns off qemu-img's zero scan, which Snapferry's loop does not do either).",
  "Page cache warm for both (the image's files are read with `cat` first); whole processes timed, so Snapferry's time includes Node's startup.",
  "MB/s = virtual size / wall seconds, best round; ratio = qemu-img time / Snapferry time (above 1: Snapferry faster), whole processes; the verdict uses it.",
  "\"w/o Node startup\" uses Snapferry's own time from opening the image to its last byte instead (qemu-img's startup, about 0.01 s, stays in its time). file MiB = du of the image's files.",
].join(" ");
