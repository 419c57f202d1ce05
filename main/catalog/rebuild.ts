/**
 * Refills the catalog from a repository itself: what makes "Open existing repository" work on a
 * machine that has never seen it (a USB disk carried to a new site). The repository is the source
 * of truth; this only reads it, then replaces the cached entries in one go.
 */
import path from "node:path";
import { SnapferryError } from "../common/errors.js";
import { Repository, type PasswordProvider } from "../repository/repository.js";
import type { RestorePoint } from "../repository/restore-point.js";
import type { Catalog, CatalogRepository, CatalogRestorePoint, VerifyFailure } from "./catalog-api.js";
import { notInCatalog } from "./repositories-store.js";

/** A password, or a function that fetches one only if the repository turns out to be encrypted. */
export type PasswordInput = string | PasswordProvider;

export interface OpenExistingRequest {
  path: string;
  password?: PasswordInput;
  /** The name shown in the app; by default the one already in the catalog, else the folder's name. */
  name?: string;
}

export interface RepositoryListing {
  repository: CatalogRepository;
  restorePoints: CatalogRestorePoint[];
  /** Manifests that could not be read, with why: the caller shows them, never drops them. */
  damaged: { id: string; message: string }[];
}

/**
 * Opens the repository at PATH and records it with its restore points. The repository is keyed by
 * the id in its config, so the same disk found at another path updates the path.
 */
export async function openExistingRepository(
  catalog: Catalog,
  request: OpenExistingRequest,
): Promise<RepositoryListing> {
  const where = path.resolve(request.path);
  const { repo, points, damaged } = await readRepository(where, request.password);
  const known = catalog.repositories.get(repo.config.id);
  const repository = catalog.repositories.upsert({
    repositoryId: repo.config.id,
    name: request.name ?? known?.name ?? (path.basename(where) || where),
    path: where,
    encryption: repo.config.encryption,
    chunkSize: repo.config.chunkSize,
  });
  return record(catalog, repository, points, damaged);
}

/** Lists the restore points of a repository already in the catalog again, at its recorded path. */
export async function refreshRestorePoints(
  catalog: Catalog,
  repositoryId: string,
  password?: PasswordInput,
): Promise<RepositoryListing> {
  const known = catalog.repositories.get(repositoryId);
  if (!known) throw notInCatalog(repositoryId);
  const { repo, points, damaged } = await readRepository(known.path, password);
  if (repo.config.id !== repositoryId) {
    throw new SnapferryError(
      "repository-not-found",
      `the repository now at ${known.path} is not the one the catalog knows there (its id is ${repo.config.id}, not ${repositoryId})`,
      "Connect the right disk, or open the repository at this path as an existing one.",
    );
  }
  return record(catalog, known, points, damaged);
}

async function readRepository(
  where: string,
  password: PasswordInput | undefined,
): Promise<{ repo: Repository; points: RestorePoint[]; damaged: RepositoryListing["damaged"] }> {
  const provider = typeof password === "string" ? () => Promise.resolve(password) : password;
  const repo = await Repository.open(where, provider);
  const { points, damaged } = await repo.listRestorePoints();
  return { repo, points, damaged: damaged.map((d) => ({ id: d.id, message: d.error.message })) };
}

function record(
  catalog: Catalog,
  repository: CatalogRepository,
  points: RestorePoint[],
  damaged: RepositoryListing["damaged"],
): RepositoryListing {
  const id = repository.repositoryId;
  // Verification is known only here (check --read-data or verify ran on this machine): keep it.
  const verified = new Map(catalog.restorePoints.list(id).map((p) => [p.id, p]));
  const cached = points.map((rp) => {
    const known = verified.get(rp.id);
    return toCatalogPoint(id, rp, known?.verifiedAt ?? null, known?.verifyFailure ?? null);
  });
  catalog.restorePoints.replaceAll(id, cached);
  catalog.repositories.touch(id);
  return {
    repository: catalog.repositories.get(id) ?? repository,
    restorePoints: catalog.restorePoints.list(id),
    damaged,
  };
}

export function toCatalogPoint(
  repositoryId: string,
  rp: RestorePoint,
  verifiedAt: string | null,
  verifyFailure: VerifyFailure | null = null,
): CatalogRestorePoint {
  return {
    repositoryId,
    id: rp.id,
    time: rp.time,
    type: rp.type,
    consistency: rp.consistency,
    sourceKind: rp.source.kind,
    source: rp.source.location,
    vmUuid: rp.source.vm?.uuid ?? null,
    vmName: rp.source.vm?.name ?? null,
    disks: rp.disks.map((d) => ({ index: d.index, name: d.name, size: d.size })),
    bytesAdded: bytesAdded(rp),
    verifiedAt,
    verifyFailure,
  };
}

/** What the backup wrote to packs for this restore point; unknown if any disk lacks the figure. */
function bytesAdded(rp: RestorePoint): number | null {
  let total = 0;
  for (const disk of rp.disks) {
    const stored: unknown = disk.stats.bytesStored;
    if (typeof stored !== "number" || !Number.isSafeInteger(stored) || stored < 0) return null;
    total += stored;
  }
  return total;
}
