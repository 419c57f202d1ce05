/**
 * Per-format conversion to raw (`npm run bench -- --only formats`), the comparison the formats
 * issue names: `snapferry convert SRC OUT --format raw` against `qemu-img convert -O raw SRC OUT`,
 * on the same format copies as the read-only comparison in formats.ts, page cache warm for both.
 *
 * Both end with the same thing on disk: a sparse raw file. Snapferry's convert syncs the file
 * before it renames it into place (a migration's output must survive a power cut); qemu-img
 * never syncs (strace: no fsync or fdatasync), so its time is measured with a `sync OUT` after
 * it, which is the same durable end state. Its time without that sync is kept in the notes.
 * Each output is compared with the raw copy (`cmp`) in the first round.
 */
import { rmSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { busyCpuSeconds, identical, measure, syncDisks, warmCache } from "./measure.js";
import { FORMATS, measureInRounds, type FormatSpec, type FormatsOptions } from "./formats.js";
import { formatNotes, markdownTable, parityLine } from "./markdown-table.js";

const MiB = 1024 * 1024;
const SNAPFERRY_CLI = fileURLToPath(new URL("../main/cli/main.js", import.meta.url));

export interface ConvertRow {
  id: string;
  label: string;
  virtualSize: number;
  parityTarget: boolean;
  snapferrySeconds?: number;
  snapferryRssMiB?: number;
  /** qemu-img convert followed by `sync OUT`: the same durable end state as Snapferry's. */
  qemuSeconds?: number;
  /** qemu-img convert alone, output not yet on disk. */
  qemuNoSyncSeconds?: number;
  othersCpu: number[];
  failed?: string;
}

function best(current: number | undefined, seconds: number): number {
  return current === undefined ? seconds : Math.min(current, seconds);
}

/**
 * One round of one format: each tool writes a fresh raw file after the disks were flushed. Which
 * tool goes first alternates from round to round (`qemuFirst`), so that neither always meets the
 * disk just after the other's writeback.
 */
function measureConversion(
  o: FormatsOptions,
  dir: string,
  f: FormatSpec,
  row: ConvertRow,
  round: number,
): void {
  const src = path.join(dir, f.file);
  const out = path.join(o.outDir, "work", `convert-${f.id}.raw`);
  const reference = path.join(dir, "disk.raw");
  const checkOutput = round === 1;
  const timed = (argv: string[]): ReturnType<typeof measure> => {
    const cpuBefore = busyCpuSeconds();
    const m = measure(argv, { logFile: o.logFile, cwd: dir });
    const others = busyCpuSeconds() - cpuBefore - m.cpuSeconds;
    if (others > 0.25 * m.seconds + 0.5) row.othersCpu.push(others);
    return m;
  };
  const fresh = (): void => {
    rmSync(out, { force: true });
    [f.file, ...f.extra].forEach((x) => warmCache(path.join(dir, x)));
    syncDisks();
  };
  const check = (tool: string): void => {
    if (checkOutput && !identical(out, reference))
      throw new Error(`${tool}'s raw output of ${f.file} differs`);
  };
  const snapferry = (): void => {
    fresh();
    const snap = timed([process.execPath, SNAPFERRY_CLI, "convert", src, out, "--format", "raw"]);
    check("Snapferry");
    row.snapferrySeconds = best(row.snapferrySeconds, snap.seconds);
    row.snapferryRssMiB = Math.max(row.snapferryRssMiB ?? 0, snap.peakRssMiB);
  };
  const qemuImg = (): void => {
    fresh();
    const qemu = timed(["qemu-img", "convert", "-f", f.qemu, "-O", "raw", src, out]);
    const sync = timed(["sync", out]);
    check("qemu-img");
    row.qemuNoSyncSeconds = best(row.qemuNoSyncSeconds, qemu.seconds);
    row.qemuSeconds = best(row.qemuSeconds, qemu.seconds + sync.seconds);
  };
  const qemuFirst = round % 2 === 0;
  (qemuFirst ? [qemuImg, snapferry] : [snapferry, qemuImg]).forEach((measureTool) => measureTool());
  rmSync(out, { force: true });
}

export function runConversions(o: FormatsOptions, dir: string): ConvertRow[] {
  o.say(`\n== formats: conversion of the ${o.virtualSize / MiB} MiB virtual disk to a raw file`);
  const rows: ConvertRow[] = FORMATS.map((f) => ({
    id: f.id,
    label: f.label,
    virtualSize: o.virtualSize,
    parityTarget: f.parityTarget,
    othersCpu: [],
  }));
  measureInRounds(o, rows, (f, row, round) => measureConversion(o, dir, f, row, round));
  return rows;
}

function mbps(r: ConvertRow, seconds: number | undefined): string {
  return seconds ? (r.virtualSize / 1e6 / seconds).toFixed(0) : "";
}

/** qemu-img's time (with its sync) / Snapferry's: above 1, Snapferry is faster. */
function ratio(r: ConvertRow): number | undefined {
  return r.snapferrySeconds && r.qemuSeconds && !r.failed ? r.qemuSeconds / r.snapferrySeconds : undefined;
}

export function convertTable(rows: ConvertRow[]): string {
  const header = [
    "format",
    "Snapferry MB/s",
    "qemu-img + sync MB/s",
    "ratio",
    "Snapferry s",
    "qemu-img + sync s",
    "qemu-img alone s",
    "Snapferry RSS MiB",
    "notes",
  ];
  const body = rows.map((r) => [
    r.label,
    r.failed ? "FAILED" : mbps(r, r.snapferrySeconds),
    mbps(r, r.qemuSeconds),
    ratio(r)?.toFixed(2).concat("x") ?? "",
    r.snapferrySeconds?.toFixed(2) ?? "",
    r.qemuSeconds?.toFixed(2) ?? "",
    r.qemuNoSyncSeconds?.toFixed(2) ?? "",
    r.snapferryRssMiB?.toFixed(0) ?? "",
    formatNotes(r.othersCpu, r.failed),
  ]);
  return markdownTable(header, body, (i) => i >= 1 && i <= 7);
}

export function convertTargetLines(rows: ConvertRow[]): string[] {
  return rows
    .filter((r) => r.parityTarget)
    .map((r) => parityLine(ratio(r), `${r.label} to raw >= qemu-img convert -O raw (+ sync)`));
}

export const CONVERT_METHOD = [
  "Method: `snapferry convert SRC OUT --format raw` against `qemu-img convert -f FMT -O raw SRC OUT` followed by `sync OUT`, on the same copies,",
  "page cache warm for the source, disks flushed (`sync`) before each, the tool that goes first alternating from round to round. Both write the same sparse raw file (compared with `cmp` in the first round).",
  "Snapferry syncs its output before renaming it into place; qemu-img does not sync at all, so `sync OUT` gives it the same durable end state",
  '(its time without that sync is in the "alone" column). Whole processes, Node\'s startup included. ratio = qemu-img + sync time / Snapferry time.',
].join(" ");
