/**
 * The tools under test, each as a plan of commands: set up a repository, back up the image (full),
 * back up the next-day image (incremental), restore the latest backup. Every tool backs up the
 * same path (the runner points it at the base or next-day image), so each finds its own parent
 * backup the way it would on a real host, and every tool encrypts its repository.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

const SNAPFERRY_CLI = fileURLToPath(new URL("../main/cli/main.js", import.meta.url));
const PASSWORD = "benchmark password";

export type Day = "base" | "next";

export interface Step {
  /** Setup steps are run but not measured; "limit" steps are measured as context for the others. */
  kind: "setup" | "limit" | "full" | "incremental" | "restore";
  label: string;
  argv: string[];
  cwd: string;
  /** Which image the shared source path must be when this step runs. */
  day?: Day;
  /** The repository a backup step grows (its du is taken before and after). */
  repo?: string;
  /** The file a restore step writes; it must equal the next-day image. */
  restored?: string;
}

export interface ToolPlan {
  id: string;
  /** Short, for the table. */
  label: string;
  /** What exactly was measured, for the legend under the table. */
  config: string;
  env: NodeJS.ProcessEnv;
  steps: Step[];
}

export interface PlanContext {
  /** A fresh folder for this tool's repositories, caches and restores. */
  work: string;
  /** The absolute path every tool backs up. */
  source: string;
  changedRanges: string;
}

export function snapferryPlan(ctx: PlanContext): ToolPlan {
  const cli = (...args: string[]): string[] => [process.execPath, SNAPFERRY_CLI, ...args];
  const repo = path.join(ctx.work, "repo");
  // A copy of the repository right after the full backup, so that the incremental without
  // changed ranges starts from exactly the same state as the one with them.
  const twin = path.join(ctx.work, "repo-no-ranges");
  const restored = path.join(ctx.work, "restore", "disk.img");
  const step = (s: Omit<Step, "cwd">): Step => ({ cwd: ctx.work, ...s });
  return {
    id: "snapferry",
    label: "Snapferry",
    config:
      "fixed 1 MiB chunks, zstd, AES-256-GCM, HMAC-SHA-256 chunk ids, all-zero chunks stored as holes; worker threads",
    env: { ...process.env, SNAPFERRY_PASSWORD: PASSWORD },
    steps: [
      step({ kind: "setup", label: "init", argv: cli("init", "--repo", repo) }),
      step({
        kind: "full",
        label: "full backup",
        argv: cli("backup", "--repo", repo, ctx.source),
        day: "base",
        repo,
      }),
      // What every command pays before it does anything: Node, scrypt on the password, the index.
      step({ kind: "limit", label: "open repository (snapshots)", argv: cli("snapshots", "--repo", repo) }),
      step({ kind: "setup", label: "copy repository", argv: ["cp", "-a", repo, twin] }),
      step({
        kind: "incremental",
        label: "incremental, changed ranges",
        argv: cli("backup", "--repo", repo, ctx.source, "--changed-ranges", ctx.changedRanges),
        day: "next",
        repo,
      }),
      step({
        kind: "incremental",
        label: "incremental, no ranges",
        argv: cli("backup", "--repo", twin, ctx.source),
        day: "next",
        repo: twin,
      }),
      step({
        kind: "restore",
        label: "restore (sparse)",
        argv: cli("restore", "--repo", repo, "latest", "--target", restored),
        restored,
      }),
    ],
  };
}

export function resticPlan(ctx: PlanContext): ToolPlan {
  const repo = path.join(ctx.work, "repo");
  const restic = (...args: string[]): string[] => ["restic", "--repo", repo, ...args];
  const src = { cwd: path.dirname(ctx.source) };
  const restoreDir = path.join(ctx.work, "restore");
  const dumped = path.join(ctx.work, "dump", "disk.img");
  return {
    id: "restic",
    label: "restic",
    config: "defaults: content-defined chunks (512 KiB-8 MiB, ~1 MiB), zstd auto, AES-256-CTR + Poly1305-AES",
    env: { ...process.env, RESTIC_PASSWORD: PASSWORD, RESTIC_CACHE_DIR: path.join(ctx.work, "cache") },
    steps: [
      { kind: "setup", label: "init", argv: restic("init"), cwd: ctx.work },
      {
        kind: "full",
        label: "full backup",
        argv: restic("backup", path.basename(ctx.source)),
        day: "base",
        repo,
        ...src,
      },
      {
        kind: "incremental",
        label: "incremental",
        argv: restic("backup", path.basename(ctx.source)),
        day: "next",
        repo,
        ...src,
      },
      // restic 0.14 has no `restore --sparse` (0.15 added it): this one writes every zero.
      {
        kind: "restore",
        label: "restore (not sparse)",
        argv: restic("restore", "latest", "--target", restoreDir),
        cwd: ctx.work,
        // A file backed up by a relative name sits at the top of the snapshot's tree.
        restored: path.join(restoreDir, path.basename(ctx.source)),
      },
      // The sparse alternative: stream the file out and let cp punch holes where blocks are zero.
      {
        kind: "restore",
        label: "dump piped to cp --sparse",
        argv: [
          "bash",
          "-c",
          `set -o pipefail; restic --repo '${repo}' dump latest '/${path.basename(ctx.source)}' | cp --sparse=always /dev/stdin '${dumped}'`,
        ],
        cwd: ctx.work,
        restored: dumped,
      },
    ],
  };
}

/**
 * Borg 1.2's encrypted modes all use AES-256-CTR; they differ in the MAC and chunk-id hash:
 * HMAC-SHA-256 (`repokey`) or BLAKE2b (`repokey-blake2`). With SHA extensions (sha_ni), SHA-256
 * is the faster of the two (about 1.5 vs 0.9 GB/s on the EPYC this was written on); without them
 * BLAKE2b is, as borg's own documentation says. Pick the faster one for this CPU, to be fair.
 */
export function borgEncryption(): { mode: string; why: string } {
  let cpuinfo = "";
  try {
    cpuinfo = readFileSync("/proc/cpuinfo", "utf8");
  } catch {
    // Not Linux: fall back to borg's recommendation for CPUs without SHA extensions.
  }
  return /\bsha_ni\b/.test(cpuinfo)
    ? {
        mode: "repokey",
        why: "AES-256-CTR + HMAC-SHA-256; the CPU has SHA extensions, so faster than BLAKE2b",
      }
    : { mode: "repokey-blake2", why: "AES-256-CTR + BLAKE2b; the CPU has no SHA extensions" };
}

export function borgPlan(ctx: PlanContext, variant: "fixed" | "default"): ToolPlan {
  const repo = path.join(ctx.work, "repo");
  const restoreDir = path.join(ctx.work, "restore");
  const fixed = variant === "fixed";
  // Fixed 1 MiB chunks with --sparse (holes skipped via SEEK_DATA) is borg's best setup for disk images.
  const chunking = fixed ? ["--chunker-params", "fixed,1048576", "--sparse"] : [];
  const name = path.basename(ctx.source);
  const src = { cwd: path.dirname(ctx.source) };
  const encryption = borgEncryption().mode;
  return {
    id: fixed ? "borg-fixed" : "borg-default",
    label: fixed ? "borg fixed 1M --sparse" : "borg defaults",
    config: fixed
      ? `--chunker-params fixed,1048576 --sparse (holes skipped by SEEK_DATA), lz4, --encryption=${encryption}`
      : `defaults: buzhash chunks (19,23,21,4095: ~2 MiB), lz4, --encryption=${encryption}`,
    env: {
      ...process.env,
      BORG_PASSPHRASE: PASSWORD,
      // Cache, keys and security state in the tool's own folder: every run starts cold and alike.
      BORG_BASE_DIR: path.join(ctx.work, "home"),
      BORG_DISPLAY_PASSPHRASE: "no",
    },
    steps: [
      {
        kind: "setup",
        label: "init",
        argv: ["borg", "init", `--encryption=${encryption}`, repo],
        cwd: ctx.work,
      },
      {
        kind: "full",
        label: "full backup",
        argv: ["borg", "create", ...chunking, `${repo}::day1`, name],
        day: "base",
        repo,
        ...src,
      },
      {
        kind: "incremental",
        label: "incremental",
        argv: ["borg", "create", ...chunking, `${repo}::day2`, name],
        day: "next",
        repo,
        ...src,
      },
      {
        kind: "restore",
        label: "extract --sparse",
        argv: ["borg", "extract", "--sparse", `${repo}::day2`],
        cwd: restoreDir,
        restored: path.join(restoreDir, name),
      },
    ],
  };
}

/** The machine's own limits on the same image: plain reading, hashing, fast compression. */
export interface MachineLimit {
  label: string;
  argv: string[];
  /** Where the time that counts is the program's own report (JSON `seconds`), not the process's. */
  reportsOwnTime?: boolean;
}

const CPU_FLOOR = fileURLToPath(new URL("./cpu-floor.js", import.meta.url));

export function machineLimits(image: string): MachineLimit[] {
  return [
    { label: "cat > /dev/null", argv: ["sh", "-c", `cat '${image}' > /dev/null`] },
    { label: "openssl dgst -sha256", argv: ["openssl", "dgst", "-sha256", image] },
    { label: "zstd -1 -T2 > /dev/null", argv: ["sh", "-c", `zstd -q -1 -T2 -c '${image}' > /dev/null`] },
    {
      label: CODEC_BACKUP_LIMIT,
      argv: [process.execPath, CPU_FLOOR, image, "backup", "2"],
      reportsOwnTime: true,
    },
    {
      label: CODEC_RESTORE_LIMIT,
      argv: [process.execPath, CPU_FLOOR, image, "restore", "2"],
      reportsOwnTime: true,
    },
  ];
}

/** Snapferry's codec alone on both cores (bench/cpu-floor.ts): bounds on a backup and a restore. */
export const CODEC_BACKUP_LIMIT = "Snapferry codec alone: backup";
export const CODEC_RESTORE_LIMIT = "Snapferry codec alone: restore";
