/**
 * Helpers for crash tests: kill moments from a seeded generator (so a failure can be replayed),
 * a CLI run that can be stalled and killed with SIGKILL at a chosen moment, and a few looks at a
 * repository's files to tell at which stage a kill landed. Outcomes are judged by the real CLI.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { randomInt } from "node:crypto";
import { readFileSync, readdirSync, rmSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { readConfig } from "../../main/repository/config.js";
import { createKeyFile, openKeyFile } from "../../main/repository/key-file.js";
import { TEST_PASSWORD, runCli, startCli, type CliResult } from "./cli.js";

export const MiB = 1024 * 1024;

/** mulberry32: a tiny, fast generator; the same seed gives the same fractions on every machine. */
export class Prng {
  private state: number;
  constructor(seed: number) {
    this.state = seed >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
}

/** The seed of this run: SNAPFERRY_CRASH_SEED replays an earlier run, otherwise a fresh one. */
export function crashSeed(): number {
  const text = process.env.SNAPFERRY_CRASH_SEED;
  if (text === undefined || text === "") return randomInt(2 ** 31);
  const seed = Number(text);
  if (!Number.isSafeInteger(seed) || seed < 0)
    throw new Error(`SNAPFERRY_CRASH_SEED must be a number, not "${text}"`);
  return seed;
}

/** How many kills a test makes: SNAPFERRY_CRASH_KILLS overrides the default (for a longer soak). */
export function crashKills(defaultCount: number): number {
  const text = process.env.SNAPFERRY_CRASH_KILLS;
  if (text === undefined || text === "") return defaultCount;
  const count = Number(text);
  if (!Number.isSafeInteger(count) || count < 1)
    throw new Error(`SNAPFERRY_CRASH_KILLS must be a count, not "${text}"`);
  return count;
}

/**
 * `count` fractions of [0, 1), one uniformly random in each of `count` equal slices: random, yet
 * spread evenly over the whole operation, early and late alike.
 */
export function killFractions(rng: Prng, count: number): number[] {
  return Array.from({ length: count }, (_, i) => (i + rng.next()) / count);
}

/** The middle value: how long an operation takes, with one slow or fast run left out. */
export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? 0;
}

export interface RunEnd extends CliResult {
  /** The signal that ended the process (SIGKILL when our kill landed before it finished). */
  signal: NodeJS.Signals | null;
  /** How long the process ran, ms: from its start to its exit, less the time it was stopped. */
  ms: number;
}

/**
 * A stall: the process is stopped (SIGSTOP) for `ms` once its output first matches `when`, as if
 * the machine had frozen for a while. Time-based steps (a backup checkpoints every 2 s) then
 * happen at the next chance, whatever the speed of the machine.
 */
export interface Stall {
  when: RegExp;
  ms: number;
}

/** A CLI process started by a crash test: it can be stalled, watched and killed with SIGKILL. */
export class CliRun {
  readonly pid: number;
  readonly done: Promise<RunEnd>;
  private readonly started = performance.now();
  private readonly signal: (name: NodeJS.Signals) => void;
  private exited = false;
  private stoppedAt: number | undefined;
  private stoppedMs = 0;
  private timer: NodeJS.Timeout | undefined;

  constructor(args: string[], stall?: Stall) {
    const child = startCli(args);
    if (child.pid === undefined) throw new Error(`could not start snapferry ${args.join(" ")}`);
    this.pid = child.pid;
    this.signal = (name) => {
      if (!this.exited) child.kill(name);
    };
    let stdout = "";
    let stderr = "";
    let stalled = false;
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      if (stall && !stalled && stall.when.test(stdout)) {
        stalled = true;
        this.stop(stall.ms);
      }
    });
    child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("exit", () => {
      this.exited = true;
      clearTimeout(this.timer);
    });
    this.done = new Promise((resolve, reject) => {
      child.on("error", reject);
      child.on("close", (code, signal) =>
        resolve({ code: code ?? -1, signal, stdout, stderr, ms: this.runningMs() }),
      );
    });
  }

  private stop(ms: number): void {
    this.signal("SIGSTOP");
    this.stoppedAt = performance.now();
    this.timer = setTimeout(() => {
      this.stoppedMs += performance.now() - (this.stoppedAt ?? performance.now());
      this.stoppedAt = undefined;
      this.signal("SIGCONT");
    }, ms);
  }

  /** Milliseconds the process has run: since its start, less the time it was stopped. */
  runningMs(): number {
    const now = performance.now();
    return now - this.started - this.stoppedMs - (this.stoppedAt === undefined ? 0 : now - this.stoppedAt);
  }

  get running(): boolean {
    return !this.exited;
  }

  /** kill -9 now (a stopped process dies too); a process that already exited is left alone. */
  kill(): void {
    clearTimeout(this.timer);
    this.signal("SIGKILL");
  }

  /** kill -9 once the process has run `ms` (stops not counted); resolves when it is gone. */
  async killAt(ms: number): Promise<RunEnd> {
    let timer: NodeJS.Timeout | undefined;
    const aim = (): void => {
      const left = ms - this.runningMs();
      if (left <= 0) this.kill();
      else timer = setTimeout(aim, left);
    };
    aim();
    try {
      return await this.done;
    } finally {
      clearTimeout(timer);
    }
  }
}

/**
 * Waits for every promise, then fails with the first failure, if any: unlike Promise.all, no
 * command is left running (into a folder already being removed) when one step fails.
 */
export async function waitAll(promises: Promise<unknown>[]): Promise<void> {
  for (const outcome of await Promise.allSettled(promises)) {
    if (outcome.status === "rejected") throw outcome.reason;
  }
}

/** The objects a command printed with --json, one per stdout line (progress lines left out). */
export function jsonObjects(stdout: string): Record<string, unknown>[] {
  return stdout
    .split("\n")
    .filter((l) => l.startsWith("{"))
    .map((l) => JSON.parse(l) as Record<string, unknown>)
    .filter((o) => !("progress" in o));
}

/** Names in a folder of the repository (none if it is missing). */
export function repoFiles(repo: string, dir: string): string[] {
  try {
    return readdirSync(path.join(repo, dir)).sort();
  } catch {
    return [];
  }
}

/** Every pack in data/. */
export function packIds(repo: string): string[] {
  return repoFiles(repo, "data").flatMap((sub) => repoFiles(repo, path.join("data", sub)));
}

/** Bytes in all packs of data/. */
export function packBytes(repo: string): number {
  return repoFiles(repo, "data").reduce(
    (sum, sub) =>
      sum +
      repoFiles(repo, path.join("data", sub)).reduce(
        (n, p) => n + statSync(path.join(repo, "data", sub, p)).size,
        0,
      ),
    0,
  );
}

/** The pids named by the lock files in locks/. */
export function lockPids(repo: string): number[] {
  return repoFiles(repo, "locks").map((name) => {
    try {
      return (JSON.parse(readFileSync(path.join(repo, "locks", name), "utf8")) as { pid: number }).pid;
    } catch {
      return -1;
    }
  });
}

interface CheckReportJson {
  problems: { message: string }[];
  notes: string[];
  restorePoints: number;
  packs: number;
}

/**
 * `check --read-data` must pass: exit 0, no problem. The only note allowed is the one about
 * packs in no index (left by an interrupted run); anything else fails with the full output.
 */
export async function assertCheckClean(repo: string, what: string): Promise<CheckReportJson> {
  const r = await runCli(["check", "--repo", repo, "--read-data", "--json"]);
  const report = jsonObjects(r.stdout).find((o) => "problems" in o) as CheckReportJson | undefined;
  const output = `${what}: check --read-data exited ${r.code}\n${r.stdout}\n${r.stderr}`;
  assert.ok(report, output);
  assert.deepEqual(report.problems, [], output);
  assert.equal(r.code, 0, output);
  for (const note of report.notes) assert.match(note, /packs are in no index/, output);
  return report;
}

/** Restores a restore point and compares it byte for byte with the image it was taken from. */
export async function assertRestoresIdentically(
  repo: string,
  restorePoint: string,
  image: string,
  target: string,
  what: string,
): Promise<void> {
  const r = await runCli(["restore", "--repo", repo, restorePoint, "--target", target]);
  assert.equal(r.code, 0, `${what}: restore of ${restorePoint} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  try {
    execFileSync("cmp", [image, target], { stdio: "pipe" });
  } catch (err) {
    const detail = err instanceof Error && "stdout" in err ? String(err.stdout) : String(err);
    assert.fail(`${what}: restore point ${restorePoint} differs from ${image}: ${detail}`);
  } finally {
    rmSync(target, { force: true });
  }
}

/** A copy of a whole repository (cp -a), so that every kill starts from the same state. */
export function copyRepository(from: string, to: string): void {
  rmSync(to, { recursive: true, force: true });
  execFileSync("cp", ["-a", from, to]);
}

/**
 * Rewraps a test repository's master keys with cheap scrypt parameters (the key file says which
 * it uses). The data stays AES-256-GCM encrypted; only the ~0.25 s each command spends deriving
 * the key from the password goes, which would otherwise be most of a short command's time.
 */
export async function cheapenKeyFile(repo: string): Promise<void> {
  const { id } = await readConfig(repo);
  const [name, ...others] = repoFiles(repo, "keys");
  assert.ok(name !== undefined && others.length === 0, `expected one key file in ${repo}/keys`);
  const file = path.join(repo, "keys", name);
  const keys = await openKeyFile(file, TEST_PASSWORD, id, repo);
  writeFileSync(file, await createKeyFile(keys, TEST_PASSWORD, id, { N: 1024, r: 8, p: 1 }));
}
