/**
 * Backups started from the app: everything a user can get wrong (the source, the repository, a
 * password) is checked before the call answers; then the backup runs in the background as a run
 * with progress events, and its settings are kept as a job definition the tray's "Back up now"
 * repeats.
 */
import { createHash } from "node:crypto";
import * as v from "valibot";
import { inputs, type ApiInput } from "../../preload/contract.js";
import type { Catalog, CatalogJob, CatalogRepository, CatalogSource } from "../catalog/catalog-api.js";
import { refreshRestorePoints } from "../catalog/rebuild.js";
import { SnapferryError, UsageError } from "../common/errors.js";
import { formatBytes } from "../common/size.js";
import type { PasswordProvider } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import { backup } from "./repository-service.js";
import { backupVsphereVm } from "./vsphere-backup.js";
import { openRepository, repositoryOf, sourceOf, type AppContext } from "./app-context.js";
import { connectorFor, serverLocation, vsphereSourceOf } from "./app-vsphere.js";
import type { RunContext, RunOutcome } from "./run-registry.js";

type BackupInput = ApiInput<"jobs.backup">;

export async function startBackup(ctx: AppContext, input: BackupInput): Promise<{ runId: string }> {
  const source = sourceOf(ctx, input.sourceId);
  const repo = repositoryOf(ctx, input.repositoryId);
  const { password } = await openRepository(ctx, repo, input.password);
  const work = await backupWork(ctx, input, source, repo, password.provider);
  const job = saveJob(ctx.catalog, input, source, repo);
  const run = ctx.runs.start(
    { jobId: job.id, kind: "backup", title: job.name, repositoryId: repo.repositoryId, cancellable: true },
    async (run) => {
      const rp = await work(run);
      const outcome = outcomeOf(rp);
      // A successful run's log would otherwise be empty: say what was kept, as restic's summary does.
      run.note(
        `restore point ${rp.id} committed: ${rp.disks.length} disk(s), ${formatBytes(outcome.bytesRead ?? 0)} read, ` +
          `${formatBytes(outcome.bytesStored ?? 0)} stored`,
      );
      await refreshCache(ctx, repo, password.provider, run);
      return outcome;
    },
  );
  return { runId: run.id };
}

/** Repeats the backup job run most recently (the tray's "Back up now"), with saved passwords. */
export async function backupNow(ctx: AppContext): Promise<{ runId: string }> {
  // Only the single backups it remembered; scheduled jobs (settings version 1) run on their own.
  const jobs = ctx.catalog.jobs
    .list()
    .filter((j) => j.kind === "backup" && v.is(inputs["jobs.backup"], j.settings));
  const lastRun = ctx.catalog.runs.list({ limit: 200 }).find((r) => r.kind === "backup" && r.jobId !== null);
  const job = jobs.find((j) => j.id === lastRun?.jobId) ?? jobs.at(-1);
  if (!job) {
    throw new SnapferryError(
      "not-found",
      "no backup has been set up yet",
      "Open Snapferry, choose a VM in the inventory and back it up once; “Back up now” then repeats it.",
    );
  }
  const settings = v.safeParse(inputs["jobs.backup"], job.settings);
  if (!settings.success) {
    throw new SnapferryError(
      "config",
      `the saved backup job “${job.name}” is incomplete`,
      "Start the backup from the app once more.",
    );
  }
  return startBackup(ctx, settings.output);
}

async function backupWork(
  ctx: AppContext,
  input: BackupInput,
  source: CatalogSource,
  repo: CatalogRepository,
  password: PasswordProvider | undefined,
): Promise<(run: RunContext) => Promise<RestorePoint>> {
  // The app has no --resume: the next backup of the same source is how a user continues one that
  // was cancelled, cut off or killed with the app.
  const common = {
    repo: repo.path,
    ...(password ? { password } : {}),
    type: input.type,
    resume: "if-interrupted" as const,
  };
  if (source.kind !== "vsphere") {
    return (run) =>
      backup({
        ...common,
        source: source.location,
        onProgress: run.progress,
        onPhase: run.phase,
        onNote: run.note,
        signal: run.signal,
      });
  }
  if (input.vm === undefined) {
    throw new UsageError("choose the VM to back up", "Pick a VM of this server in the inventory.");
  }
  const vsphere = vsphereSourceOf(ctx, source.id);
  const connect = await connectorFor(ctx, vsphere, input.vspherePassword, "vspherePassword");
  const location = { ...serverLocation(vsphere.location), path: inventoryPath(input.vm) };
  return (run) =>
    backupVsphereVm({
      ...common,
      location,
      connect,
      allowCrashConsistent: input.allowCrashConsistent,
      // As Veeam does by default: CBT is switched on where it is off, so later backups read only changes.
      enableCbt: true,
      onProgress: run.progress,
      onPhase: run.phase,
      onNote: run.note,
      signal: run.signal,
    });
}

/** An inventory path ("DC/vm/web%2f01") as the decoded names the vSphere source looks up. */
export function inventoryPath(text: string): string[] {
  try {
    return text
      .split("/")
      .filter((s) => s !== "")
      .map((s) => decodeURIComponent(s));
  } catch {
    throw new UsageError(`"${text}" is not an inventory path`, "Pick the VM or place from the inventory.");
  }
}

/** One job definition per source, VM and repository: running the same backup again reuses it. */
function saveJob(
  catalog: Catalog,
  input: BackupInput,
  source: CatalogSource,
  repo: CatalogRepository,
): CatalogJob {
  const key = createHash("sha256")
    .update(JSON.stringify([source.id, input.vm ?? null, repo.repositoryId]))
    .digest("hex");
  const what = input.vm ? (inventoryPath(input.vm).at(-1) ?? input.vm) : source.name;
  const settings: Record<string, unknown> = {
    sourceId: source.id,
    repositoryId: repo.repositoryId,
    type: input.type,
    allowCrashConsistent: input.allowCrashConsistent,
    ...(input.vm !== undefined ? { vm: input.vm } : {}),
  };
  return catalog.jobs.save({
    id: `backup-${key.slice(0, 24)}`,
    name: `Back up ${what} to ${repo.name}`,
    kind: "backup",
    settings,
  });
}

function outcomeOf(rp: RestorePoint): RunOutcome {
  return {
    bytesRead: rp.disks.reduce((s, d) => s + d.stats.bytesRead, 0),
    bytesStored: rp.disks.reduce((s, d) => s + d.stats.bytesStored, 0),
    restorePointId: rp.id,
  };
}

/** The new restore point goes into the catalog's cache; a failure here does not undo the backup. */
export async function refreshCache(
  ctx: AppContext,
  repo: CatalogRepository,
  password: PasswordProvider | undefined,
  run: RunContext,
): Promise<void> {
  try {
    await refreshRestorePoints(ctx.catalog, repo.repositoryId, password);
  } catch (err) {
    run.note(
      `the restore point list could not be refreshed: ${err instanceof Error ? err.message : String(err)}`,
      "warn",
    );
  }
}
