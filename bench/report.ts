/**
 * Turns measurements into the table, the target checks and the two files: bench/out/results.md
 * (every run) and the generated part of docs/performance.md (full runs only; the interpretation
 * around it is written by a person and kept).
 */
import { execFileSync } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { markdownTable } from "./markdown-table.js";
import { CODEC_BACKUP_LIMIT, CODEC_RESTORE_LIMIT } from "./peers.js";

export interface Row {
  tool: string;
  toolLabel: string;
  kind: "limit" | "full" | "incremental" | "restore";
  label: string;
  seconds?: number;
  cpuSeconds?: number;
  peakRssMiB?: number;
  /** du of the repository after this backup. */
  repoBytes?: number;
  /** How much this backup added to the repository (du after minus du before). */
  growthBytes?: number;
  notes: string[];
  failed?: string;
}

const MiB = 1024 * 1024;

/**
 * One row per measurement from several rounds: the fastest round, with its notes, plus the
 * largest peak RSS of all rounds and the spread of times. The fastest, not the median, because on
 * a shared machine noise only ever adds time: the best round is the closest to the tool's own
 * cost. A step that failed in any round stays failed.
 */
export function bestRows(rounds: Row[][]): Row[] {
  const first = rounds[0] ?? [];
  if (rounds.length === 1) return first;
  return first.map((row) => {
    const same = rounds.map((r) => r.find((x) => x.tool === row.tool && x.label === row.label));
    if (same.some((x) => x === undefined)) return { ...row, failed: "missing in a round" };
    const failed = same.find((x) => x?.failed);
    if (failed) return failed;
    const ok = same
      .filter((x): x is Row => x !== undefined)
      .sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0));
    const best = ok[0] ?? row;
    const seconds = ok.map((r) => r.seconds ?? 0);
    return {
      ...best,
      peakRssMiB: Math.max(...ok.map((r) => r.peakRssMiB ?? 0)),
      notes: [...best.notes, `best of ${ok.length}: ${seconds.map((x) => x.toFixed(2)).join(", ")} s`],
    };
  });
}

/** The peers Snapferry's speed is compared with: restic, and borg in its strongest disk-image setup. */
const BASELINES = [
  { tool: "restic", title: "vs restic" },
  { tool: "borg-fixed", title: "vs borg fixed" },
];

function fmt(n: number | undefined, digits = 1): string {
  return n === undefined || !Number.isFinite(n) ? "" : n.toFixed(digits);
}

/** The peer row an operation of Snapferry is compared with: the same kind; for restores the fastest. */
function peerRow(rows: Row[], tool: string, kind: Row["kind"]): Row | undefined {
  return rows
    .filter((r) => r.tool === tool && r.kind === kind && r.seconds !== undefined && !r.failed)
    .sort((a, b) => (a.seconds ?? 0) - (b.seconds ?? 0))[0];
}

/** How many times faster Snapferry's row is than the peer's (ratio of times, so of MB/s too). */
function speedup(rows: Row[], row: Row, peerTool: string): number | undefined {
  const peer = peerRow(rows, peerTool, row.kind);
  if (!peer?.seconds || !row.seconds || row.failed) return undefined;
  return peer.seconds / row.seconds;
}

export function table(rows: Row[], imageBytes: number): string {
  const header = [
    "tool / config",
    "operation",
    "MB/s",
    "seconds",
    "CPU s",
    "peak RSS MiB",
    "repo MiB",
    "growth MiB",
    ...BASELINES.map((b) => b.title),
    "notes",
  ];
  const body = rows.map((r) => {
    const snap = r.tool === "snapferry" && r.kind !== "limit";
    const ratios = BASELINES.map((b) => {
      const x = snap ? speedup(rows, r, b.tool) : undefined;
      return x === undefined ? "" : `${x.toFixed(2)}x`;
    });
    return [
      r.toolLabel,
      r.label,
      r.failed ? "FAILED" : fmt(r.seconds ? imageBytes / 1e6 / r.seconds : undefined, 0),
      fmt(r.seconds, 2),
      fmt(r.cpuSeconds, 1),
      fmt(r.peakRssMiB, 0),
      fmt(r.repoBytes === undefined ? undefined : r.repoBytes / MiB, 1),
      fmt(r.growthBytes === undefined ? undefined : r.growthBytes / MiB, 1),
      ...ratios,
      [...r.notes, ...(r.failed ? [r.failed.split("\n")[0] ?? ""] : [])].join("; "),
    ];
  });
  return markdownTable(header, body, (i) => i >= 2 && i <= 9);
}

export interface TargetCheck {
  text: string;
  pass: boolean | undefined;
}

/** The targets from the issue, each with the numbers behind its verdict. */
export function checkTargets(rows: Row[]): TargetCheck[] {
  const ok = (r: Row | undefined): r is Row & { seconds: number } => r?.seconds !== undefined && !r.failed;
  const sf = (kind: Row["kind"], label?: string): Row | undefined =>
    rows.find((r) => r.tool === "snapferry" && r.kind === kind && (!label || r.label.includes(label)));
  const full = sf("full");
  const incr = sf("incremental", "changed ranges");
  const restore = sf("restore");
  const checks: TargetCheck[] = [];
  const ratio = (row: Row | undefined, peer: string, min: number, what: string): void => {
    const x = row ? speedup(rows, row, peer) : undefined;
    checks.push({
      text: `${what} >= ${min}x ${peer}: ${x === undefined ? "not measured" : `${x.toFixed(2)}x`}`,
      pass: x === undefined ? undefined : x >= min,
    });
  };
  ratio(full, "restic", 3, "full backup speed");
  ratio(full, "borg-fixed", 1.5, "full backup speed");
  if (ok(full) && ok(incr)) {
    const share = incr.seconds / full.seconds;
    const open = sf("limit", "open repository");
    checks.push({
      text: `incremental with changed ranges <= 15% of full time: ${(share * 100).toFixed(1)}% (${incr.seconds.toFixed(2)} s of ${full.seconds.toFixed(2)} s)${ok(open) ? `; opening the repository alone takes ${open.seconds.toFixed(2)} s, ${((open.seconds / full.seconds) * 100).toFixed(0)}% of the full` : ""}`,
      pass: share <= 0.15,
    });
  } else {
    checks.push({
      text: "incremental with changed ranges <= 15% of full time: not measured",
      pass: undefined,
    });
  }
  const resticIncr = rows.find((r) => r.tool === "restic" && r.kind === "incremental" && !r.failed);
  if (incr?.growthBytes !== undefined && resticIncr?.growthBytes !== undefined) {
    checks.push({
      text: `incremental repo growth <= restic's: ${(incr.growthBytes / MiB).toFixed(1)} MiB vs ${(resticIncr.growthBytes / MiB).toFixed(1)} MiB`,
      pass: incr.growthBytes <= resticIncr.growthBytes,
    });
  } else {
    checks.push({ text: "incremental repo growth <= restic's: not measured", pass: undefined });
  }
  ratio(restore, "restic", 3, "restore speed (vs restic's fastest restore)");
  checks.push(...codecBounds(rows));
  const rss = rows.filter((r) => r.tool === "snapferry" && r.peakRssMiB !== undefined);
  const worst = rss.sort((a, b) => (b.peakRssMiB ?? 0) - (a.peakRssMiB ?? 0))[0];
  checks.push({
    text: `peak RSS < 200 MiB: ${worst ? `max ${fmt(worst.peakRssMiB, 0)} MiB (${worst.label})` : "not measured"}`,
    pass: worst ? (worst.peakRssMiB ?? 0) < 200 : undefined,
  });
  return checks;
}

/**
 * How fast Snapferry's codec alone would be against the same peers: the ceiling on the speed
 * ratios above that no pipeline around this codec can pass on this machine (bench/cpu-floor.ts).
 */
function codecBounds(rows: Row[]): TargetCheck[] {
  const limit = (label: string): Row | undefined =>
    rows.find((r) => r.kind === "limit" && r.label === label && !r.failed);
  const peer = (tool: string, kind: Row["kind"]): Row | undefined => peerRow(rows, tool, kind);
  const bound = (codec: Row | undefined, kind: Row["kind"], tool: string, what: string): TargetCheck[] => {
    const other = peer(tool, kind);
    if (!codec?.seconds || !other?.seconds) return [];
    return [
      {
        text: `bound: ${what}, codec alone with no I/O ${codec.seconds.toFixed(2)} s = ${(other.seconds / codec.seconds).toFixed(2)}x ${tool}`,
        pass: undefined,
      },
    ];
  };
  const backup = limit(CODEC_BACKUP_LIMIT);
  return [
    ...bound(backup, "full", "restic", "full backup"),
    ...bound(backup, "full", "borg-fixed", "full backup"),
    ...bound(limit(CODEC_RESTORE_LIMIT), "restore", "restic", "restore"),
  ];
}

export function targetLines(checks: TargetCheck[]): string[] {
  return checks.map(
    (c) =>
      `${c.text.startsWith("bound:") ? "     " : c.pass === undefined ? "UNKNOWN" : c.pass ? "PASS" : "FAIL"}  ${c.text}`,
  );
}

export interface MachineInfo {
  /** The Snapferry code measured: its commit, and whether main/ had uncommitted changes. */
  snapferry: string;
  cpus: number;
  cpuModel: string;
  memoryGiB: number;
  kernel: string;
  node: string;
  tools: string[];
}

export function machineInfo(): MachineInfo {
  let cpuModel = "unknown";
  try {
    cpuModel = /^model name\s*:\s*(.*)$/m.exec(readFileSync("/proc/cpuinfo", "utf8"))?.[1] ?? cpuModel;
  } catch {
    // not Linux
  }
  const version = (argv: string[]): string => {
    try {
      return (
        execFileSync(argv[0] ?? "", argv.slice(1), { stdio: ["ignore", "pipe", "pipe"] })
          .toString()
          .trim()
          .split("\n")[0]
          ?.replace(/^\*+\s*|\s*\*+$/g, "") ?? ""
      );
    } catch {
      return `${argv[0]}: not installed`;
    }
  };
  let snapferry = "unknown revision";
  try {
    const head = execFileSync("git", ["rev-parse", "--short", "HEAD"], {
      stdio: ["ignore", "pipe", "ignore"],
    });
    const dirty = execFileSync("git", ["status", "--porcelain", "--", "main"], {
      stdio: ["ignore", "pipe", "ignore"],
    })
      .toString()
      .split("\n")
      .filter(Boolean).length;
    snapferry = `commit ${head.toString().trim()}${dirty ? ` + ${dirty} uncommitted change${dirty === 1 ? "" : "s"} in main/` : ""}`;
  } catch {
    // not a git checkout
  }
  return {
    snapferry,
    cpus: Number(execFileSync("nproc").toString().trim()),
    cpuModel,
    memoryGiB: Math.round(os.totalmem() / 1024 ** 3),
    kernel: `${os.type()} ${os.release()}`,
    node: process.version,
    tools: [
      version(["restic", "version"]),
      version(["borg", "--version"]),
      version(["zstd", "--version"]),
      version(["openssl", "version"]),
    ],
  };
}

export function machineLines(m: MachineInfo): string[] {
  return [
    `- CPU: ${m.cpuModel}, ${m.cpus} cores (nproc); RAM ${m.memoryGiB} GiB; ${m.kernel}`,
    `- Node ${m.node}; ${m.tools.join("; ")}`,
    `- Snapferry: ${m.snapferry} (the dist/ built by \`npm run bench\`)`,
  ];
}

/**
 * Writes markdown the way the project's Prettier would, so that a benchmark run never leaves
 * `npm run lint` failing on docs/performance.md. Prettier is a dev dependency, which is where the
 * benchmark runs; without it the file is written as is.
 */
async function writeMarkdown(file: string, text: string): Promise<void> {
  mkdirSync(path.dirname(file), { recursive: true });
  let formatted = text;
  try {
    const prettier = await import("prettier");
    const options = (await prettier.resolveConfig(file)) ?? {};
    formatted = await prettier.format(text, { ...options, parser: "markdown" });
  } catch {
    // No prettier: unformatted, but correct.
  }
  writeFileSync(file, formatted);
}

const FORMATS_BEGIN = "<!-- bench:formats:begin (generated by `npm run bench -- --only formats`) -->";
const FORMATS_END = "<!-- bench:formats:end -->";

/** The per-format block (markers included) in `text`, if any. */
function formatsBlock(text: string): string | undefined {
  const a = text.indexOf(FORMATS_BEGIN);
  const b = text.indexOf(FORMATS_END);
  return a >= 0 && b > a ? text.slice(a, b + FORMATS_END.length) : undefined;
}

/**
 * `text` with the per-format block set to `block`: replaced where it is, else put before `before`
 * (the end marker of the generated part) when there is one, else appended. The per-format
 * benchmark and the backup benchmark run separately (--only), so each keeps the other's results.
 */
function withFormatsBlock(text: string, block: string, before?: string): string {
  const old = formatsBlock(text);
  if (old !== undefined) return text.replace(old, () => block);
  const at = before === undefined ? -1 : text.indexOf(before);
  return at >= 0 ? `${text.slice(0, at)}${block}\n\n${text.slice(at)}` : `${text.trimEnd()}\n\n${block}\n`;
}

function oldText(file: string): string {
  return existsSync(file) ? readFileSync(file, "utf8") : "";
}

/** bench/out/results.md: everything one run printed, as markdown (keeping the last per-format results). */
export async function writeResults(file: string, sections: string[]): Promise<void> {
  const kept = formatsBlock(oldText(file));
  const text = sections.join("\n\n") + "\n";
  await writeMarkdown(file, kept === undefined ? text : withFormatsBlock(text, kept));
}

/**
 * Sets the per-format section of bench/out/results.md and, when `doc` is given, of the generated
 * part of docs/performance.md (inside its markers), leaving everything else as it was.
 */
export async function updateFormatsSection(
  results: string,
  doc: string | undefined,
  generated: string,
): Promise<void> {
  const block = `${FORMATS_BEGIN}\n\n${generated}\n\n${FORMATS_END}`;
  const current = oldText(results);
  await writeMarkdown(results, withFormatsBlock(current || "# Snapferry benchmark results\n", block));
  if (doc === undefined) return;
  const docText = oldText(doc);
  if (!docText.includes(END)) await updatePerformanceDoc(doc, "(No backup benchmark run yet.)");
  await writeMarkdown(doc, withFormatsBlock(oldText(doc), block, END));
}

const BEGIN = "<!-- bench:begin (generated by `npm run bench`; edit outside these markers) -->";
const END = "<!-- bench:end -->";

/**
 * Replaces the generated part of docs/performance.md, keeping what people wrote around it (the
 * interpretation), so that re-running the benchmark refreshes numbers without losing the text.
 */
export async function updatePerformanceDoc(file: string, generated: string): Promise<void> {
  const block = `${BEGIN}\n\n${generated}\n\n${END}`;
  let text: string;
  if (existsSync(file)) {
    const old = readFileSync(file, "utf8");
    const a = old.indexOf(BEGIN);
    const b = old.indexOf(END);
    // The per-format results inside the markers come from their own run: keep them.
    const kept = formatsBlock(old);
    const inner = kept === undefined ? block : withFormatsBlock(block, kept, END);
    text =
      a >= 0 && b > a
        ? old.slice(0, a) + inner + old.slice(b + END.length)
        : `${old.trimEnd()}\n\n${inner}\n`;
  } else {
    text = [
      "# Performance",
      "",
      "Measured with `npm run bench` (bench/run.ts): Snapferry against restic and borg on the same deterministic 2 GiB disk image. See bench/ for how the image and its next-day changes are made.",
      "",
      block,
      "",
      "## Interpretation",
      "",
      "(Write after a run: what the numbers say, and what they do not.)",
      "",
    ].join("\n");
  }
  await writeMarkdown(file, text);
}
