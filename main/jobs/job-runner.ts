/**
 * One run of a job: every selected VM backed up (one at a time by default), transient failures
 * retried with backoff from the checkpoint, then retention applied and the new restore points
 * copied to the job's other repositories. Each VM and the job end in a clear state: success,
 * warning (it worked, but not quite as asked: crash-consistent instead of quiesced, say) or failed.
 *
 * Everything that touches a hypervisor or a repository comes in through JobDeps, so the order,
 * the retries and the window are tested with a fake clock and no sleeps (test/unit/job-runner).
 */
import { SnapferryError } from "../common/errors.js";
import type { BackupKind } from "../services/repository-service.js";
import { backupKindFor } from "./backup-policy.js";
import type { Clock } from "./clock.js";
import type { JobSettings, RetentionSettings } from "./job-settings.js";
import { withRetries } from "./retry.js";
import { nextRun } from "./schedule.js";

export type RunState = "success" | "warning" | "failed";

/** One machine a job backs up. */
export interface VmTarget {
  /** Stable identity (a VM's inventory path, an image's path). */
  key: string;
  name: string;
}

export interface VmBackup {
  restorePointId: string;
  bytesRead: number;
  bytesStored: number;
  /** What the user should know although it worked (crash-consistent fallback, an old snapshot…). */
  warnings: string[];
}

export interface JobDeps {
  clock: Clock;
  resolveVms(settings: JobSettings): Promise<VmTarget[]>;
  lastFull(vm: VmTarget): Promise<Date | null>;
  /**
   * Pre-checks before a VM's backup beyond the ones the backup makes itself: room in the
   * repository for what this backup is likely to store. Throws to fail the VM, with the reason.
   */
  preCheck?(vm: VmTarget, kind: BackupKind): Promise<void>;
  backupVm(
    vm: VmTarget,
    kind: BackupKind,
    signal: AbortSignal,
    note: (text: string) => void,
  ): Promise<VmBackup>;
  /** Applies `policy` to the machines of `restorePointIds` only: a job never thins another job's. */
  applyRetention(
    repositoryId: string,
    policy: RetentionSettings,
    restorePointIds: string[],
  ): Promise<{ removed: number }>;
  copy(
    fromRepositoryId: string,
    toRepositoryId: string,
    restorePointIds: string[],
  ): Promise<{ copied: number }>;
}

export interface VmResult {
  vm: VmTarget;
  state: RunState | "skipped";
  kind: BackupKind | null;
  attempts: number;
  restorePointId: string | null;
  bytesRead: number;
  bytesStored: number;
  /** Why it failed, was skipped, or warns; empty on a clean success. */
  messages: string[];
  startedAt: string | null;
  finishedAt: string | null;
}

export interface JobResult {
  state: RunState;
  vms: VmResult[];
  /** Steps after the backups (retention, copies) and what came of them. */
  followUps: { step: string; ok: boolean; message: string }[];
  stoppedByWindow: boolean;
  startedAt: string;
  finishedAt: string;
}

export interface RunJobOptions {
  signal?: AbortSignal;
  /** Log lines as they happen (the run's log in the app, stderr in the CLI). */
  note?: (text: string, level?: "info" | "warn" | "error") => void;
}

export async function runJob(
  name: string,
  settings: JobSettings,
  deps: JobDeps,
  options: RunJobOptions = {},
): Promise<JobResult> {
  const note = options.note ?? (() => undefined);
  const signal = options.signal ?? new AbortController().signal;
  const startedAt = deps.clock.now();
  const windowEnd = settings.window
    ? nextRun({ kind: "daily", time: settings.window.end }, startedAt, settings.timeZone)
    : null;
  const vms = await deps.resolveVms(settings);
  if (vms.length === 0)
    throw new SnapferryError("not-found", `job "${name}" selects no VM`, "Check its selection.");
  const results: VmResult[] = vms.map((vm) => emptyResult(vm));
  let stoppedByWindow = false;
  let next = 0;
  // `concurrency` lanes take VMs in order; a lane stops taking new ones when the window ends.
  const lane = async (): Promise<void> => {
    for (let i = next++; i < vms.length; i = next++) {
      const result = results[i];
      if (!result) continue;
      if (signal.aborted) {
        skip(result, "the job was cancelled");
        continue;
      }
      if (windowEnd && deps.clock.now().getTime() >= windowEnd.getTime()) {
        stoppedByWindow = true;
        skip(result, `the backup window ended at ${settings.window?.end ?? ""} before this VM's turn`);
        continue;
      }
      await backupOne(result, settings, deps, signal, note);
    }
  };
  await Promise.all(Array.from({ length: Math.min(settings.concurrency, vms.length) }, lane));
  if (stoppedByWindow) note(`the backup window ended: the VMs not started are left for the next run`, "warn");
  const followUps = await afterBackups(settings, results, deps, note);
  return {
    state: overall(results, followUps),
    vms: results,
    followUps,
    stoppedByWindow,
    startedAt: startedAt.toISOString(),
    finishedAt: deps.clock.now().toISOString(),
  };
}

function emptyResult(vm: VmTarget): VmResult {
  return {
    vm,
    state: "skipped",
    kind: null,
    attempts: 0,
    restorePointId: null,
    bytesRead: 0,
    bytesStored: 0,
    messages: [],
    startedAt: null,
    finishedAt: null,
  };
}

function skip(result: VmResult, why: string): void {
  result.state = "skipped";
  result.messages.push(why);
}

async function backupOne(
  result: VmResult,
  settings: JobSettings,
  deps: JobDeps,
  signal: AbortSignal,
  note: NonNullable<RunJobOptions["note"]>,
): Promise<void> {
  const { vm } = result;
  result.startedAt = deps.clock.now().toISOString();
  try {
    const kind = backupKindFor(settings, deps.clock.now(), await deps.lastFull(vm));
    result.kind = kind;
    note(`${vm.name}: ${kind} backup`);
    await deps.preCheck?.(vm, kind);
    const done = await withRetries(
      (attempt) => {
        result.attempts = attempt;
        return deps.backupVm(vm, kind, signal, (text) => note(`${vm.name}: ${text}`));
      },
      {
        ...settings.retries,
        clock: deps.clock,
        signal,
        onRetry: (attempt, error, waitMs) =>
          note(
            `${vm.name}: attempt ${attempt} failed (${error.message}); retrying in ${Math.round(waitMs / 1000)} s from where it stopped`,
            "warn",
          ),
      },
    );
    result.restorePointId = done.restorePointId;
    result.bytesRead = done.bytesRead;
    result.bytesStored = done.bytesStored;
    result.messages.push(...done.warnings);
    result.state = done.warnings.length > 0 ? "warning" : "success";
    for (const w of done.warnings) note(`${vm.name}: ${w}`, "warn");
  } catch (err) {
    result.state = "failed";
    const message = err instanceof Error ? err.message : String(err);
    result.messages.push(message);
    note(`${vm.name}: failed: ${message}`, "error");
  } finally {
    result.finishedAt = deps.clock.now().toISOString();
  }
}

/** Retention on the job's repository, then the copies (each with its own retention). */
async function afterBackups(
  settings: JobSettings,
  results: VmResult[],
  deps: JobDeps,
  note: NonNullable<RunJobOptions["note"]>,
): Promise<JobResult["followUps"]> {
  const made = results.flatMap((r) => (r.restorePointId ? [r.restorePointId] : []));
  const steps: JobResult["followUps"] = [];
  const step = async (name: string, work: () => Promise<string>): Promise<void> => {
    try {
      const message = await work();
      steps.push({ step: name, ok: true, message });
      note(`${name}: ${message}`);
    } catch (err) {
      const message = err instanceof Error ? err.message : String(err);
      steps.push({ step: name, ok: false, message });
      note(`${name}: failed: ${message}`, "error");
    }
  };
  if (made.length === 0) return steps;
  const retention = settings.retention;
  // Only after a run that made something: a failing job must never thin out what it still has.
  if (retention) {
    await step(
      "retention",
      async () =>
        `${(await deps.applyRetention(settings.repositoryId, retention, made)).removed} restore point(s) removed`,
    );
  }
  for (const copy of settings.copies) {
    await step(
      `copy to ${copy.repositoryId}`,
      async () =>
        `${(await deps.copy(settings.repositoryId, copy.repositoryId, made)).copied} restore point(s) copied`,
    );
    const copyRetention = copy.retention;
    if (copyRetention) {
      await step(
        `retention on ${copy.repositoryId}`,
        async () =>
          `${(await deps.applyRetention(copy.repositoryId, copyRetention, made)).removed} restore point(s) removed`,
      );
    }
  }
  return steps;
}

function overall(results: VmResult[], followUps: JobResult["followUps"]): RunState {
  if (results.some((r) => r.state === "failed")) return "failed";
  if (results.every((r) => r.state === "skipped")) return "failed";
  if (results.some((r) => r.state === "warning" || r.state === "skipped") || followUps.some((f) => !f.ok)) {
    return "warning";
  }
  return "success";
}
