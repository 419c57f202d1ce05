/**
 * Runs the real, built `snapferry` CLI as a child process, as a user or a script would.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { fileURLToPath } from "node:url";

export const CLI_PATH = fileURLToPath(new URL("../../main/cli/main.js", import.meta.url));
export const TEST_PASSWORD = "correct horse battery staple";

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export function cliEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  return { ...process.env, SNAPFERRY_PASSWORD: TEST_PASSWORD, ...extra };
}

/** Runs `snapferry ARGS…` to completion. */
export function runCli(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI_PATH, ...args], {
      env: cliEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.on("error", reject);
    child.on("close", (code) => resolve({ code: code ?? -1, stdout, stderr }));
  });
}

/** Runs the CLI and fails with its output unless it exits 0. */
export async function cliOk(args: string[], env: Record<string, string> = {}): Promise<CliResult> {
  const r = await runCli(args, env);
  if (r.code !== 0) throw new Error(`snapferry ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** Starts the CLI without waiting, for tests that kill it mid-way. */
export function startCli(args: string[], env: Record<string, string> = {}): ChildProcess {
  return spawn(process.execPath, [CLI_PATH, ...args], {
    env: cliEnv(env),
    stdio: ["ignore", "pipe", "pipe"],
  });
}

/** The restore point id a backup printed (its last line). */
export function lastLine(text: string): string {
  return text.trim().split("\n").at(-1) ?? "";
}

/**
 * Fails the test with a clear message when a tool the test needs is missing: a test never
 * passes silently because the machine lacks something.
 */
export function requireTool(tool: string, debianPackage: string): void {
  const r = spawnSync("sh", ["-c", `command -v ${tool}`]);
  if (r.status !== 0) {
    throw new Error(
      `this test needs \`${tool}\`, which is not installed: apt-get install ${debianPackage} (.ci/run installs it)`,
    );
  }
}
