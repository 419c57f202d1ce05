#!/usr/bin/env node
/**
 * `snapferry`: the command-line door to the services. Exit codes: 0 ok, 1 failed, 2 usage.
 */
import { parseArgs } from "node:util";
import { SnapferryError, UsageError } from "../common/errors.js";
import { TOOL_NAME } from "../common/version.js";
import { commands } from "./commands.js";
import { createOutput } from "./output.js";

function help(): string {
  const lines = Object.entries(commands).map(([name, c]) => `  ${name.padEnd(14)} ${c.summary}`);
  return [
    `${TOOL_NAME}: back up and restore virtual machine disks`,
    "",
    "usage: snapferry COMMAND [options]",
    "",
    ...lines,
    "",
    "The password comes from SNAPFERRY_PASSWORD, --password-file FILE, or a prompt on a terminal.",
    "`snapferry COMMAND --help` shows a command's options.",
  ].join("\n");
}

export async function main(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    process.stdout.write(help() + "\n");
    return name === undefined ? 2 : 0;
  }
  if (name === "--version") {
    process.stdout.write(TOOL_NAME + "\n");
    return 0;
  }
  const command = commands[name];
  const json = rest.includes("--json");
  const out = createOutput(json);
  const controller = new AbortController();
  let interrupts = 0;
  const onSigint = (): void => {
    if (++interrupts > 1) process.exit(130);
    process.stderr.write("\nstopping after the current step (press Ctrl-C again to quit at once)\n");
    controller.abort();
  };
  process.on("SIGINT", onSigint);
  try {
    if (!command) throw new UsageError(`unknown command "${name}"`, "Run `snapferry --help` for the list.");
    if (rest.includes("--help") || rest.includes("-h")) {
      process.stdout.write(`usage: snapferry ${command.usage}\n`);
      return 0;
    }
    let parsed;
    try {
      parsed = parseArgs({ args: rest, options: command.options, allowPositionals: true, strict: true });
    } catch (err) {
      throw new UsageError(
        err instanceof Error ? err.message : String(err),
        `usage: snapferry ${command.usage}`,
      );
    }
    await command.run({
      values: parsed.values,
      positionals: parsed.positionals,
      out,
      signal: controller.signal,
    });
    return typeof process.exitCode === "number" ? process.exitCode : 0;
  } catch (err) {
    out.endProgress();
    return report(err, json);
  } finally {
    process.off("SIGINT", onSigint);
  }
}

function report(err: unknown, json: boolean): number {
  const known = err instanceof SnapferryError;
  const code = known ? err.code : "internal";
  const message = known ? err.message : err instanceof Error ? (err.stack ?? err.message) : String(err);
  const hint = known ? err.hint : "This is a bug in Snapferry; please report it with the message above.";
  if (json) process.stdout.write(JSON.stringify({ error: { code, message, hint } }) + "\n");
  process.stderr.write(`snapferry: error: ${message}\n`);
  if (hint) process.stderr.write(`hint: ${hint}\n`);
  return code === "usage" ? 2 : 1;
}

// `snapferry snapshots | head` closes the pipe early: that is the reader's choice, not a failure.
for (const stream of [process.stdout, process.stderr]) {
  stream.on("error", (err: NodeJS.ErrnoException) => {
    if (err.code === "EPIPE") process.exit(process.exitCode ?? 0);
    throw err;
  });
}

process.exitCode = await main(process.argv.slice(2));
