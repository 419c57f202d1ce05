/**
 * Runs `snapferry serve` as a user would (a child process), reads the URL from its first line of
 * stdout, and runs the real NBD clients (qemu-img, qemu-io, nbdinfo, nbdcopy) against it.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { once } from "node:events";
import { startCli } from "./cli.js";

export interface Served {
  url: string;
  port: number;
  child: ChildProcess;
  stderr(): string;
  /** SIGINT (as Ctrl-C) and the exit code; -1 if it had to be killed after 20 s. */
  stop(signal?: NodeJS.Signals): Promise<number>;
}

export async function startServe(args: string[]): Promise<Served> {
  const child = startCli(["serve", ...args]);
  let stdout = "";
  let stderr = "";
  child.stderr?.on("data", (d: Buffer) => (stderr += d.toString()));
  const exited = once(child, "exit") as Promise<[number | null, string | null]>;
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`serve printed no URL in 30 s:\n${stderr}`)), 30_000);
    child.stdout?.on("data", (d: Buffer) => {
      stdout += d.toString();
      const nl = stdout.indexOf("\n");
      if (nl >= 0) {
        clearTimeout(timer);
        resolve(stdout.slice(0, nl));
      }
    });
    void exited.then(([code]) => {
      clearTimeout(timer);
      reject(new Error(`serve exited ${code} before printing its URL:\n${stdout}\n${stderr}`));
    });
  });
  assert.match(url, /^nbd:\/\/127\.0\.0\.1:\d+\/\S+$/, `first stdout line: ${url}`);
  const port = Number(/:(\d+)\//.exec(url)?.[1]);
  return {
    url,
    port,
    child,
    stderr: () => stderr,
    async stop(signal = "SIGINT") {
      if (child.exitCode === null) child.kill(signal);
      // A server that does not stop is a failure (-1), not a test run that hangs for ever.
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      const [code] = await exited;
      clearTimeout(timer);
      return code ?? -1;
    },
  };
}

export interface ToolResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs a tool (asynchronously: the server runs in another process but tests may run clients in parallel). */
export function tool(command: string, args: string[], timeoutMs = 60_000): Promise<ToolResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.on("data", (d: Buffer) => (stdout += d.toString()));
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    const timer = setTimeout(() => child.kill("SIGKILL"), timeoutMs);
    child.on("error", reject);
    child.on("close", (code) => {
      clearTimeout(timer);
      resolve({ code: code ?? -1, stdout, stderr });
    });
  });
}

/** Runs a tool and fails the test with its output unless it exits 0. */
export async function toolOk(command: string, args: string[], timeoutMs?: number): Promise<ToolResult> {
  const r = await tool(command, args, timeoutMs);
  assert.equal(r.code, 0, `${command} ${args.join(" ")} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r;
}

/** `nbdinfo --map` as [offset, length, flags] rows. */
export async function nbdMap(url: string): Promise<[number, number, number][]> {
  const r = await toolOk("nbdinfo", ["--map", url]);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [offset, length, flags] = line.trim().split(/\s+/).map(Number);
      return [offset ?? NaN, length ?? NaN, flags ?? NaN];
    });
}
