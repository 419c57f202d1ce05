/**
 * Rotated USB disks (and shares that come and go): when a repository the catalog knows shows up,
 * its path is updated (it is known by id), and every job that copies to it sends what the disk
 * lacks, each copy followed by that target's retention. When the last copy has ended, the user
 * is told the disk can be unplugged: every write was fsynced and the repository's lock released.
 */
import type { CatalogRepository } from "../catalog/catalog-api.js";
import type { FoundRepository } from "../jobs/repository-watch.js";
import { Repository } from "../repository/repository.js";
import { sourceKey } from "../repository/restore-point.js";
import type { AppContext } from "./app-context.js";
import { isOfSource, jobDeps, type JobPasswords } from "./job-deps.js";
import { listJobs } from "./job-service.js";

export interface RotationOutcome {
  repository: CatalogRepository;
  /** The runs started for the pending copies (one per job copying to this repository). */
  runIds: string[];
  /** Settles when every copy has ended: then the disk may be unplugged. */
  done: Promise<void>;
}

export function repositoryAppeared(
  ctx: AppContext,
  found: FoundRepository,
  tell: (message: string) => void,
  passwords: JobPasswords = {},
): RotationOutcome | undefined {
  const known = ctx.catalog.repositories.get(found.id);
  if (!known) return undefined;
  const repository =
    known.path === found.path
      ? known
      : ctx.catalog.repositories.upsert({
          repositoryId: known.repositoryId,
          name: known.name,
          path: found.path,
          encryption: known.encryption,
          chunkSize: known.chunkSize,
        });
  const jobs = listJobs(ctx.catalog).filter((j) =>
    j.settings.copies.some((c) => c.repositoryId === found.id),
  );
  if (jobs.length === 0) return { repository, runIds: [], done: Promise.resolve() };
  tell(`${repository.name} is connected: copying what it lacks (${jobs.map((j) => j.job.name).join(", ")})`);
  const runs = jobs.map(({ job, settings }) => {
    const run = ctx.runs.start(
      {
        jobId: job.id,
        kind: "backup",
        title: `Copy of ${job.name} to ${repository.name}`,
        repositoryId: found.id,
        cancellable: true,
      },
      async (run) => {
        const deps = jobDeps(ctx, settings, passwords);
        const copy = settings.copies.find((c) => c.repositoryId === found.id);
        const ids = await jobRestorePoints(ctx, settings.repositoryId, settings.sourceId, passwords);
        run.note(`${ids.length} restore point(s) of job "${job.name}" to bring to ${repository.name}`);
        const { copied } = await deps.copy(settings.repositoryId, found.id, ids);
        run.note(`${copied} restore point(s) copied`);
        if (copy?.retention && ids.length > 0) {
          const { removed } = await deps.applyRetention(found.id, copy.retention, ids);
          run.note(`retention on ${repository.name}: ${removed} restore point(s) removed`);
        }
        return {};
      },
    );
    return run.id;
  });
  // Ended means recorded, lock released and every write fsynced: then the disk may go.
  const done = Promise.all(runs.map((id) => ctx.runs.ended(id))).then(() => {
    tell(`copies to ${repository.name} have ended: it is safe to unplug it`);
  });
  return { repository, runIds: runs, done };
}

/** The restore points of a job's machines in its own repository. */
async function jobRestorePoints(
  ctx: AppContext,
  repositoryId: string,
  sourceId: string,
  passwords: JobPasswords,
): Promise<string[]> {
  const repo = ctx.catalog.repositories.get(repositoryId);
  const source = ctx.catalog.sources.get(sourceId);
  if (!repo || !source) return [];
  const password = (await ctx.passwords.forRepository(repo, passwords.repository)).provider;
  const { points } = await (await Repository.open(repo.path, password)).listRestorePoints();
  const keys = new Set(
    points.filter((p) => isOfSource(source, p.source.location)).map((p) => sourceKey(p.source)),
  );
  return points.filter((p) => keys.has(sourceKey(p.source))).map((p) => p.id);
}
