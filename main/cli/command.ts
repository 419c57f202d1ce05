/**
 * What every `snapferry` command is made of, and the option helpers they share. A command parses
 * its options, calls a service and prints the result; nothing in main/cli/ knows how a
 * repository or a hypervisor works.
 */
import { UsageError } from "../common/errors.js";
import type { RepoRef } from "../services/repository-service.js";
import type { Output } from "./output.js";
import { passwordProvider } from "./password.js";

export interface CommandContext {
  values: Record<string, string | boolean | undefined>;
  positionals: string[];
  out: Output;
  signal: AbortSignal;
}

export interface Command {
  summary: string;
  usage: string;
  options: Record<string, { type: "string" | "boolean" }>;
  run(ctx: CommandContext): Promise<void>;
}

export const common = {
  repo: { type: "string" },
  "password-file": { type: "string" },
  json: { type: "boolean" },
} as const;

export function repoOf(ctx: CommandContext): RepoRef {
  const repo = str(ctx, "repo") ?? process.env.SNAPFERRY_REPOSITORY;
  if (!repo) throw new UsageError("--repo is required", "Give the repository folder with --repo DIR.");
  return { repo, password: passwordProvider(str(ctx, "password-file")) };
}

export function str(ctx: CommandContext, name: string): string | undefined {
  const v = ctx.values[name];
  return typeof v === "string" ? v : undefined;
}

export function count(ctx: CommandContext, name: string): number | undefined {
  const v = str(ctx, name);
  if (v === undefined) return undefined;
  if (!/^\d+$/.test(v)) throw new UsageError(`--${name} takes a whole number, not "${v}"`);
  return Number(v);
}

export function positional(ctx: CommandContext, n: number, what: string): string {
  const v = ctx.positionals[n];
  if (v === undefined) throw new UsageError(`${what} is missing`);
  return v;
}
