/**
 * `npm run bench [-- --quick] [--repeat N] [--only snapferry,restic]`: Snapferry against restic
 * and borg on the same deterministic disk image, plus the machine's own limits on that image.
 * Prints a table and target checks; writes bench/out/results.md and, after a full run of every
 * tool, the generated part of docs/performance.md. Repositories stay in bench/out/work/ for
 * inspection until the next run; command output goes to bench/out/log.txt.
 *
 * Every tool gets the same sequence on the same path: full backup of the image, incremental
 * backup of its next-day version, restore of the latest backup (checked with cmp). The tools run
 * one after another, never in parallel (the machine has 2 cores). The page cache is warm for
 * everything: the image is read once before each backup, so every tool reads it from memory and
 * disk speed only affects repository writes. This is not a test: it prints numbers.
 */
import { execFileSync } from "node:child_process";
import { linkSync, mkdirSync, rmSync, writeFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { FORMATS_METHOD, formatTargetLines, formatsTable, runFormats } from "./formats.js";
import { CONVERT_METHOD, convertTable, convertTargetLines, runConversions } from "./formats-convert.js";
import { FULL_IMAGE_BYTES, QUICK_IMAGE_BYTES, prepareImages, type BenchImages } from "./image.js";
import {
  CommandError,
  GNU_TIME,
  busyCpuSeconds,
  diskUsage,
  identical,
  measure,
  missingPrograms,
  sparseness,
  syncDisks,
  waitForQuiet,
  warmCache,
  type Measurement,
  type RunOptions,
} from "./measure.js";
import {
  borgEncryption,
  borgPlan,
  machineLimits,
  resticPlan,
  snapferryPlan,
  type ToolPlan,
} from "./peers.js";
import {
  checkTargets,
  machineInfo,
  bestRows,
  machineLines,
  table,
  targetLines,
  updateFormatsSection,
  updatePerformanceDoc,
  writeResults,
  type Row,
} from "./report.js";

const MiB = 1024 * 1024;
const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const OUT = path.join(ROOT, "bench", "out");
const BACKUP_TOOLS = ["snapferry", "restic", "borg-fixed", "borg-default"];
/** "formats": the per-format read benchmark (bench/formats.ts), a section of its own. */
const TOOLS = [...BACKUP_TOOLS, "formats"];

function say(text: string): void {
  process.stdout.write(text + "\n");
}

function loud(text: string): void {
  process.stderr.write(`\n!!!!!!!! ${text}\n\n`);
}

/**
 * --quick: a 256 MiB image and one round, to iterate fast. --repeat N: rounds per measurement
 * (the table shows the fastest); 3 by default for the full image, because other people's
 * processes on a shared machine make single samples unreliable. --only: some of the tools, and/or
 * "formats" for the per-format read benchmark.
 */
function parseArgs(argv: string[]): { quick: boolean; only: string[]; repeat: number } {
  let quick = false;
  let only = TOOLS;
  let repeat: number | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === "--quick") quick = true;
    else if (a === "--only") only = (argv[++i] ?? "").split(",").filter(Boolean);
    else if (a === "--repeat" && /^[1-9]\d*$/.test(argv[i + 1] ?? "")) repeat = Number(argv[++i]);
    else {
      say(`usage: npm run bench -- [--quick] [--repeat N] [--only ${TOOLS.join(",")}]`);
      process.exit(a === "--help" ? 0 : 2);
    }
  }
  const unknown = only.filter((t) => !TOOLS.includes(t));
  if (unknown.length > 0 || only.length === 0) {
    say(`--only takes some of ${TOOLS.join(",")}`);
    process.exit(2);
  }
  return { quick, only, repeat: repeat ?? (quick ? 1 : 3) };
}

function requirePrograms(only: string[]): void {
  const programs = [
    { bin: GNU_TIME, pkg: "time" },
    { bin: "mkfs.ext4", pkg: "e2fsprogs" },
    { bin: "dumpe2fs", pkg: "e2fsprogs" },
    { bin: "debugfs", pkg: "e2fsprogs" },
    { bin: "cmp", pkg: "diffutils" },
    { bin: "zstd", pkg: "zstd" },
    { bin: "openssl", pkg: "openssl" },
    ...(only.includes("restic") ? [{ bin: "restic", pkg: "restic" }] : []),
    ...(only.some((t) => t.startsWith("borg")) ? [{ bin: "borg", pkg: "borgbackup" }] : []),
    ...(only.includes("formats") ? [{ bin: "qemu-img", pkg: "qemu-utils" }] : []),
  ];
  const missing = missingPrograms(programs);
  if (missing.length === 0) return;
  loud(`the benchmark needs programs that are missing: ${missing.join(", ")}`);
  say(
    `Install them (Debian/Ubuntu, as root): apt-get update && apt-get install -y ${[...new Set(programs.map((p) => p.pkg))].join(" ")}`,
  );
  say(
    "GNU time (/usr/bin/time, package `time`) is what measures peak RSS; the shell's `time` keyword cannot.",
  );
  process.exit(1);
}

/** How long to wait for other people's processes to finish before measuring anyway. */
const QUIET_WAIT_SECONDS = 600;

/**
 * Measures one step on a quiet machine, and says so when it was not: busy before the start, or
 * other processes using CPU during the step (kernel writeback threads count too, hence the slack).
 */
function timedStep(argv: string[], options: RunOptions, notes: string[]): Measurement {
  syncDisks();
  const busyBefore = waitForQuiet(QUIET_WAIT_SECONDS, say);
  if (busyBefore >= 0.1) notes.push(`machine busy at start (${(busyBefore * 100).toFixed(0)}% of a core)`);
  const cpuBefore = busyCpuSeconds();
  const m = measure(argv, options);
  const others = busyCpuSeconds() - cpuBefore - m.cpuSeconds;
  if (others > 0.25 * m.seconds + 0.5) notes.push(`others used ${others.toFixed(1)} CPU s meanwhile`);
  return m;
}

/** Runs one tool's plan; returns its rows. A failing step ends that tool's plan, not the benchmark. */
function runPlan(plan: ToolPlan, images: BenchImages, source: string, log: string): Row[] {
  const rows: Row[] = [];
  say(`\n== ${plan.label}`);
  for (const step of plan.steps) {
    if (step.day) {
      // Same path, other content: the tool sees "its" disk image changed overnight.
      const image = step.day === "base" ? images.base : images.next;
      rmSync(source, { force: true });
      linkSync(image, source);
      warmCache(image);
    }
    const options = { cwd: step.cwd, env: plan.env, logFile: log };
    if (step.kind === "setup") {
      try {
        measure(step.argv, options);
      } catch (err) {
        loud(`${plan.id} ${step.label} failed: ${String(err)}`);
        return rows;
      }
      continue;
    }
    const row: Row = { tool: plan.id, toolLabel: plan.label, kind: step.kind, label: step.label, notes: [] };
    rows.push(row);
    if (step.restored) mkdirSync(path.dirname(step.restored), { recursive: true });
    mkdirSync(step.cwd, { recursive: true });
    const before = step.repo && step.kind === "incremental" ? diskUsage(step.repo) : 0;
    try {
      const m = timedStep(step.argv, options, row.notes);
      Object.assign(row, { seconds: m.seconds, cpuSeconds: m.cpuSeconds, peakRssMiB: m.peakRssMiB });
    } catch (err) {
      row.failed = err instanceof CommandError ? err.message : String(err);
      loud(`${plan.id} ${step.label} FAILED: ${row.failed}`);
      return rows;
    }
    // Writeback the tool left behind (restores of 2 GiB especially) is not charged to the next tool.
    const flush = syncDisks();
    if (flush >= 0.5) row.notes.push(`sync after: ${flush.toFixed(1)} s`);
    if (step.repo) {
      row.repoBytes = diskUsage(step.repo);
      if (step.kind === "incremental") row.growthBytes = row.repoBytes - before;
    }
    if (step.restored) checkRestore(row, step.restored, images.next);
    say(
      `  ${step.label.padEnd(28)} ${(row.seconds ?? 0).toFixed(2).padStart(7)} s  ${(images.manifest.sizeBytes / 1e6 / (row.seconds ?? 1)).toFixed(0).padStart(5)} MB/s  RSS ${(row.peakRssMiB ?? 0).toFixed(0).padStart(4)} MiB${row.repoBytes !== undefined ? `  repo ${(row.repoBytes / MiB).toFixed(1)} MiB` : ""}${row.growthBytes !== undefined ? ` (+${(row.growthBytes / MiB).toFixed(1)})` : ""}${row.notes.length ? `  ${row.notes.join("; ")}` : ""}`,
    );
  }
  return rows;
}

/** A restore must give back the next-day image bit for bit; say whether holes stayed holes. */
function checkRestore(row: Row, restored: string, expected: string): void {
  let same = false;
  try {
    const s = sparseness(restored);
    row.notes.push(
      s.allocated < s.apparent * 0.9
        ? `sparse (du ${(s.allocated / MiB).toFixed(0)} of ${(s.apparent / MiB).toFixed(0)} MiB)`
        : `NOT sparse (du ${(s.allocated / MiB).toFixed(0)} MiB)`,
    );
    same = identical(restored, expected);
  } catch (err) {
    row.notes.push(`restored file unreadable: ${String(err)}`);
  }
  if (same) {
    row.notes.push("cmp: identical");
  } else {
    row.failed = `restore is NOT identical to the next-day image (${restored})`;
    loud(`${row.tool} ${row.label}: ${row.failed}`);
  }
  rmSync(restored, { force: true });
}

function describeImages(images: BenchImages): string[] {
  const m = images.manifest;
  const c = m.churn;
  const mib = (n: number): string => `${(n / MiB).toFixed(1)} MiB`;
  return [
    `- Image: ${m.sizeBytes / MiB} MiB raw disk, ext4 (4 KiB blocks), ${m.files} files: ${Object.entries(
      m.fileBytes,
    )
      .map(([k, v]) => `${k} ${mib(v)}`)
      .join(", ")}; the rest is empty (sparse file). sha256 ${m.sha256.base.slice(0, 16)}…`,
    `- Next day: ${c.rewriteRuns} runs of 64 KiB rewritten (${c.journalRuns} journal, ${c.metadataRuns} metadata area, ${c.hotFileRuns} in ${c.hotFiles} hot files, ${c.scatteredRuns} scattered) + ${mib(c.newBytes)} in ${c.newFiles} new file${c.newFiles === 1 ? "" : "s"} in free space. sha256 ${m.sha256.next.slice(0, 16)}…`,
    `- Changed ranges: ${c.ranges} ranges, ${mib(c.changedBytes)} (${((c.changedBytes / m.sizeBytes) * 100).toFixed(1)}% of the image); they touch ${c.chunksTouched} of ${Math.ceil(m.sizeBytes / MiB)} 1 MiB chunks`,
  ];
}

async function main(): Promise<void> {
  const started = Date.now();
  const { quick, only, repeat } = parseArgs(process.argv.slice(2));
  requirePrograms(only);
  // Now, not at the end: others may commit while this runs, and dist/ was built just before.
  const info = machineInfo();
  mkdirSync(OUT, { recursive: true });
  const log = path.join(OUT, "log.txt");
  writeFileSync(log, `snapferry benchmark ${new Date().toISOString()}\n`);
  const images = prepareImages(OUT, quick ? QUICK_IMAGE_BYTES : FULL_IMAGE_BYTES, say);
  const imageFacts = describeImages(images);
  imageFacts.forEach(say);
  const backups = only.filter((t) => BACKUP_TOOLS.includes(t));
  if (backups.length > 0)
    await backupSection({ started, quick, only: backups, repeat, info, log, images, imageFacts });
  if (only.includes("formats"))
    await formatsSection({ started, quick, repeat, log, images, snapferry: info.snapferry });
  say(`benchmark took ${((Date.now() - started) / 60000).toFixed(1)} min`);
}

interface SectionContext {
  started: number;
  quick: boolean;
  repeat: number;
  log: string;
  images: BenchImages;
}

/** Snapferry against restic and borg: full and incremental backups and a restore. */
async function backupSection(
  c: SectionContext & { only: string[]; info: ReturnType<typeof machineInfo>; imageFacts: string[] },
): Promise<void> {
  const { started, quick, only, repeat, info, log, images, imageFacts } = c;
  const work = path.join(OUT, "work");
  rmSync(work, { recursive: true, force: true });
  const source = path.join(work, "src", "disk.img");
  mkdirSync(path.dirname(source), { recursive: true });
  say(`page cache: warm for every tool (the image is read with cat before each backup); output log: ${log}`);
  warmCache(images.base);
  warmCache(images.next);
  const borg = borgEncryption();
  say(`borg encryption: ${borg.mode} (${borg.why})`);

  const ctx = (id: string): { work: string; source: string; changedRanges: string } => ({
    work: path.join(work, id),
    source,
    changedRanges: images.changedRanges,
  });
  const plans: Record<string, () => ToolPlan> = {
    snapferry: () => snapferryPlan(ctx("snapferry")),
    restic: () => resticPlan(ctx("restic")),
    "borg-fixed": () => borgPlan(ctx("borg-fixed"), "fixed"),
    "borg-default": () => borgPlan(ctx("borg-default"), "default"),
  };
  const legend: string[] = [];
  // Rounds go through every tool in turn, so that a noisy minute hurts one sample of each tool
  // rather than every sample of one.
  const samples: Row[][] = [];
  for (let round = 1; round <= repeat; round++) {
    const rows: Row[] = [];
    say(`\n== round ${round} of ${repeat}: machine limits on the base image`);
    for (const limit of machineLimits(images.base)) {
      const notes: string[] = [];
      const m = timedStep(limit.argv, { logFile: log }, notes);
      if (limit.reportsOwnTime) {
        notes.push(`whole process ${m.seconds.toFixed(2)} s`);
        m.seconds = (JSON.parse(m.stdout.trim().split("\n").at(-1) ?? "{}") as { seconds: number }).seconds;
      }
      rows.push({
        tool: "machine",
        toolLabel: "machine limit",
        kind: "limit",
        label: limit.label,
        ...m,
        notes,
      });
      say(`  ${limit.label.padEnd(28)} ${m.seconds.toFixed(2).padStart(7)} s`);
    }
    for (const id of only) {
      const plan = plans[id]?.();
      if (!plan) continue;
      if (round === 1) legend.push(`- ${plan.label}: ${plan.config}`);
      // A fresh folder per round: every round starts with empty repositories and cold tool caches.
      rmSync(path.join(work, id), { recursive: true, force: true });
      mkdirSync(path.join(work, id), { recursive: true });
      rows.push(...runPlan(plan, images, source, log));
    }
    samples.push(rows);
  }
  const rows = bestRows(samples);

  const date = new Date().toISOString().slice(0, 10);
  const tableText = table(rows, images.manifest.sizeBytes);
  const targets = checkTargets(rows);
  const totalMinutes = ((Date.now() - started) / 60000).toFixed(1);
  say(`\n${tableText}\n`);
  legend.forEach(say);
  say(
    `MB/s = image size (${images.manifest.sizeBytes / MiB} MiB = ${images.manifest.sizeBytes / 1e6} MB) / seconds`,
  );
  say("Targets (Snapferry):");
  targetLines(targets).forEach((l) => say(`  ${l}`));

  const generated = [
    `Run on ${date}${quick ? " (--quick)" : ""}: ${totalMinutes} min for \`npm run bench\` after its build${images.cached ? " (images cached)" : " (including generating the images)"}.`,
    ["Machine:", ...machineLines(info)].join("\n"),
    ["Input:", ...imageFacts].join("\n"),
    [
      "Method: each tool backs up the same path (full: base image; incremental: next-day image), then restores its latest backup, which is compared with `cmp`.",
      `The tools run one at a time, after waiting for the machine to be idle; ${repeat} round${repeat === 1 ? "" : "s"}, each through every tool in turn${repeat > 1 ? "; each row is the fastest round (noise on a shared machine only adds time; all times are in the notes), with the largest peak RSS of all rounds" : ""}. "others used … CPU s" flags a measurement during which other processes (or kernel writeback) were busy.`,
      `Page cache warm for all (the image is read with \`cat\` before each backup); \`sync\` between steps. MB/s = image size / wall seconds; peak RSS from GNU time. Repository sizes are \`du\`. borg encryption: ${borg.mode} (${borg.why}). "vs" columns: how many times faster Snapferry is than restic and than borg in its strongest disk-image setup (fixed 1 MiB chunks, --sparse); restores are compared with restic's faster restore.`,
    ].join(" "),
    tableText,
    ["Configurations:", ...legend].join("\n"),
    ["Targets:", "", ...targetLines(targets).map((l) => `    ${l}`)].join("\n"),
  ];
  // A quick run does not overwrite the last full run's results.
  const results = path.join(OUT, quick ? "results-quick.md" : "results.md");
  await writeResults(results, ["# Snapferry benchmark results", ...generated]);
  say(`\nwrote ${results}`);
  if (!quick && only.length === BACKUP_TOOLS.length) {
    await updatePerformanceDoc(path.join(ROOT, "docs", "performance.md"), generated.join("\n\n"));
    say(`updated ${path.join(ROOT, "docs", "performance.md")} (the text outside its markers is kept)`);
  } else {
    say(
      "docs/performance.md is only updated by a full run of every tool (no --quick, no --only but formats)",
    );
  }
  if (rows.some((r) => r.failed)) {
    loud("SOME STEPS FAILED (see FAILED above and bench/out/log.txt)");
    process.exitCode = 1;
  }
}

/**
 * Per-format throughput against qemu-img: converting each format to a raw file, as the formats
 * issue asks (bench/formats-convert.ts), and, stricter, reading only (bench/formats.ts).
 */
async function formatsSection(c: SectionContext & { snapferry: string }): Promise<void> {
  const { images, quick } = c;
  const sizeBytes = images.manifest.sizeBytes;
  const options = {
    outDir: OUT,
    image: images.base,
    cacheKey: `v${images.manifest.generatorVersion}-${sizeBytes / MiB}MiB-${images.manifest.sha256.base.slice(0, 12)}`,
    virtualSize: sizeBytes,
    repeat: c.repeat,
    logFile: c.log,
    say,
  };
  const { rows, dir } = runFormats(options);
  const converted = runConversions(options, dir);
  const readTable = formatsTable(rows);
  const readTargets = formatTargetLines(rows);
  const convertText = convertTable(converted);
  const convertTargets = convertTargetLines(converted);
  say(`\n${convertText}\n`);
  say("Target: parity or better with qemu-img convert -O raw for raw, flat VMDK and uncompressed qcow2");
  convertTargets.forEach((l) => say(`  ${l}`));
  say(`\n${readTable}\n`);
  say("Stricter, reading only: parity or better with qemu-img reading into its null driver");
  readTargets.forEach((l) => say(`  ${l}`));
  const date = new Date().toISOString().slice(0, 10);
  const qemu = execFileSync("qemu-img", ["--version"]).toString().split("\n")[0] ?? "qemu-img";
  const generated = [
    "## Throughput per disk image format",
    `Run on ${date}${quick ? " (--quick)" : ""} with ${qemu} and Snapferry ${c.snapferry}: the ${sizeBytes / MiB} MiB base image (${c.repeat} round${c.repeat === 1 ? "" : "s"}, best of them).`,
    "### Conversion to a raw file (the comparison the formats issue names)",
    CONVERT_METHOD,
    convertText,
    [
      "Target: parity or better with `qemu-img convert -O raw` for raw, flat VMDK and uncompressed qcow2:",
      "",
      ...convertTargets.map((l) => `    ${l}`),
    ].join("\n"),
    "### Reading only (stricter: no writing to share the time)",
    FORMATS_METHOD,
    readTable,
    [
      "Reading only, parity or better with qemu-img for raw, flat VMDK and uncompressed qcow2:",
      "",
      ...readTargets.map((l) => `    ${l}`),
    ].join("\n"),
  ].join("\n\n");
  const results = path.join(OUT, quick ? "results-quick.md" : "results.md");
  const doc = quick ? undefined : path.join(ROOT, "docs", "performance.md");
  await updateFormatsSection(results, doc, generated);
  say(
    `\nwrote the per-format section of ${results}${doc ? ` and ${doc}` : " (docs/performance.md: not for --quick)"}`,
  );
  if ([...rows, ...converted].some((r) => r.failed)) {
    loud("SOME FORMATS FAILED (see FAILED above and bench/out/log.txt)");
    process.exitCode = 1;
  }
}

await main();
