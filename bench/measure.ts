/**
 * How one command is measured: wall time from here, peak RSS and CPU time from GNU time (which
 * reads them from wait4's rusage, so a pipeline run through `sh -c` reports its largest process).
 * Plus the file-level facts the report needs: repository size (du), sparseness, equality (cmp).
 */
import { execFileSync, spawnSync } from "node:child_process";
import { appendFileSync, mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import os from "node:os";
import path from "node:path";

export const GNU_TIME = "/usr/bin/time";

export interface Measurement {
  seconds: number;
  /** User + system CPU seconds of the process and everything it waited for. */
  cpuSeconds: number;
  peakRssMiB: number;
  stdout: string;
}

export interface RunOptions {
  cwd?: string;
  env?: NodeJS.ProcessEnv;
  /** Where the command's stdout and stderr are appended, for post-mortems. */
  logFile: string;
}

export class CommandError extends Error {}

/** Runs argv under GNU time and fails (with the output's tail) unless it exits 0. */
export function measure(argv: string[], options: RunOptions): Measurement {
  const tmp = mkdtempSync(path.join(os.tmpdir(), "snapferry-bench-"));
  const timeFile = path.join(tmp, "time");
  try {
    appendFileSync(options.logFile, `\n$ ${argv.join(" ")}\n`);
    const started = process.hrtime.bigint();
    const r = spawnSync(GNU_TIME, ["-o", timeFile, "-f", "%M %U %S", ...argv], {
      cwd: options.cwd,
      env: options.env ?? process.env,
      stdio: ["ignore", "pipe", "pipe"],
      maxBuffer: 256 * 1024 * 1024,
    });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    const stdout = r.stdout.toString();
    appendFileSync(options.logFile, stdout + r.stderr.toString());
    if (r.error) throw new CommandError(`${argv[0]} could not start: ${r.error.message}`);
    if (r.status !== 0) {
      const tail = (stdout + r.stderr.toString()).trim().split("\n").slice(-8).join("\n");
      throw new CommandError(`\`${argv.join(" ")}\` exited ${r.status ?? r.signal}:\n${tail}`);
    }
    // GNU time may print "Command exited with non-zero status" first; the numbers are on the last line.
    const last = readFileSync(timeFile, "utf8").trim().split("\n").at(-1) ?? "";
    const [rssKiB, user, sys] = last.split(" ").map(Number);
    return {
      seconds,
      cpuSeconds: (user ?? 0) + (sys ?? 0),
      peakRssMiB: (rssKiB ?? 0) / 1024,
      stdout,
    };
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** Allocated bytes, as `du` counts them (not the apparent size). */
export function diskUsage(p: string): number {
  const out = execFileSync("du", ["-s", "-B1", p]).toString();
  return Number(out.split(/\s/)[0]);
}

/** A file's apparent size and its allocated bytes; allocated < apparent means holes were kept. */
export function sparseness(file: string): { apparent: number; allocated: number } {
  const s = statSync(file);
  return { apparent: s.size, allocated: s.blocks * 512 };
}

export function identical(a: string, b: string): boolean {
  return spawnSync("cmp", ["--silent", a, b]).status === 0;
}

/**
 * Pages of the input are kept in memory for every tool alike: reading a 2 GiB file on a machine
 * with plenty of RAM leaves it cached, so every measurement reads from the page cache.
 */
export function warmCache(file: string): void {
  execFileSync("sh", ["-c", `cat '${file}' > /dev/null`]);
}

/**
 * Flushes what earlier steps left dirty, so that one tool's writeback does not slow the next
 * tool's measurement. Returns how long the flush took.
 */
export function syncDisks(): number {
  const started = process.hrtime.bigint();
  execFileSync("sync");
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** CPU seconds spent busy (all cores, everyone) since boot, from /proc/stat (USER_HZ is 100 on Linux). */
export function busyCpuSeconds(): number {
  const fields = (readFileSync("/proc/stat", "utf8").split("\n")[0] ?? "")
    .trim()
    .split(/\s+/)
    .slice(1)
    .map(Number);
  const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = fields;
  return (user + nice + system + irq + softirq + steal) / 100;
}

function sleep(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}

/**
 * Other people's processes on the machine make numbers meaningless, so before each measurement
 * wait (up to `maxSeconds`) until the machine is idle: less than 10% of one core busy over a
 * second. Returns the busy share last seen, in cores, so that the report can say it was not quiet.
 */
export function waitForQuiet(maxSeconds: number, say: (s: string) => void): number {
  const deadline = Date.now() + maxSeconds * 1000;
  let told = false;
  for (;;) {
    const before = busyCpuSeconds();
    sleep(1000);
    const cores = busyCpuSeconds() - before;
    if (cores < 0.1 || Date.now() > deadline) return cores;
    if (!told)
      say(
        `  (waiting for the machine to be idle: other processes use ${(cores * 100).toFixed(0)}% of a core)`,
      );
    told = true;
  }
}

/** Checks that every external program the benchmark calls exists; says how to install what is missing. */
export function missingPrograms(programs: { bin: string; pkg: string }[]): string[] {
  return programs
    .filter((p) => spawnSync("sh", ["-c", `command -v ${p.bin}`], { stdio: "ignore" }).status !== 0)
    .map((p) => `${p.bin} (Debian package ${p.pkg})`);
}
