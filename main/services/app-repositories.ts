/**
 * The repositories calls: create, open existing (the catalog refilled from the repository itself),
 * forget, stats, and the restore point list (from the catalog's cache, or read again).
 */
import path from "node:path";
import type { ApiInput, ApiOutput, RepositoryView } from "../../preload/contract.js";
import type { CatalogRepository, CatalogRestorePoint } from "../catalog/catalog-api.js";
import { openExistingRepository, refreshRestorePoints, type RepositoryListing } from "../catalog/rebuild.js";
import { readConfig } from "../repository/config.js";
import { DEFAULT_CHUNK_SIZE } from "../repository/file-formats.js";
import { stats } from "./maintenance-service.js";
import { initRepository } from "./repository-service.js";
import { repositoryOf, type AppContext } from "./app-context.js";
import { DetailedError } from "./app-errors.js";
import { explainWrongPassword } from "./app-passwords.js";

async function view(ctx: AppContext, repo: CatalogRepository): Promise<RepositoryView> {
  return { ...repo, passwordSaved: await ctx.passwords.repositorySaved(repo.repositoryId) };
}

export async function listRepositories(ctx: AppContext): Promise<RepositoryView[]> {
  return Promise.all(ctx.catalog.repositories.list().map((r) => view(ctx, r)));
}

export async function createRepository(
  ctx: AppContext,
  input: ApiInput<"repositories.create">,
): Promise<RepositoryView> {
  const where = path.resolve(input.path);
  const { password } = input;
  if (input.encryption === "aes256gcm" && password === undefined) {
    throw new DetailedError(
      "usage",
      "an encrypted repository needs a password",
      "Choose a password and keep it safe: without it nothing can be restored.",
      { field: "password", reason: "missing" },
    );
  }
  const created = await initRepository({
    repo: where,
    encryption: input.encryption,
    chunkSize: DEFAULT_CHUNK_SIZE,
    ...(input.encryption === "aes256gcm" && password !== undefined ? { password: async () => password } : {}),
  });
  const repo = ctx.catalog.repositories.upsert({
    repositoryId: created.id,
    name: path.basename(where) || where,
    path: where,
    encryption: created.encryption,
    chunkSize: created.chunkSize,
  });
  ctx.catalog.restorePoints.replaceAll(created.id, []);
  if (password !== undefined && input.encryption === "aes256gcm") {
    await ctx.passwords.rememberRepository(created.id, password, input.rememberPassword);
  }
  return view(ctx, repo);
}

/** "Open existing repository": a USB disk on a new machine works with nothing but its password. */
export async function openRepositoryAt(
  ctx: AppContext,
  input: ApiInput<"repositories.open">,
): Promise<RepositoryView> {
  const where = path.resolve(input.path);
  const config = await readConfig(where);
  const identity = { repositoryId: config.id, path: where, encryption: config.encryption };
  const password = await ctx.passwords.forRepository(identity, input.password);
  let listing: RepositoryListing;
  try {
    listing = await openExistingRepository(ctx.catalog, {
      path: where,
      ...(password.provider ? { password: password.provider } : {}),
    });
  } catch (err) {
    throw explainWrongPassword(err, identity, password.source);
  }
  if (input.password !== undefined && config.encryption === "aes256gcm") {
    await ctx.passwords.rememberRepository(config.id, input.password, input.rememberPassword);
  }
  refuseDamaged(listing);
  return view(ctx, listing.repository);
}

export async function forgetRepository(
  ctx: AppContext,
  input: ApiInput<"repositories.forget">,
): Promise<ApiOutput<"repositories.forget">> {
  const removed = ctx.catalog.repositories.remove(input.repositoryId);
  if (removed) await ctx.passwords.forgetRepository(input.repositoryId);
  return { removed };
}

export async function repositoryStats(
  ctx: AppContext,
  input: ApiInput<"repositories.stats">,
): Promise<ApiOutput<"repositories.stats">> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const password = await ctx.passwords.forRepository(repo, input.password);
  const s = await stats({
    repo: repo.path,
    ...(password.provider ? { password: password.provider } : {}),
  }).catch((err: unknown) => {
    throw explainWrongPassword(err, repo, password.source);
  });
  return {
    repositoryId: repo.repositoryId,
    restorePoints: s.restorePoints,
    storedBytes: s.packBytes,
    logicalBytes: s.logicalBytes,
  };
}

export async function listRestorePoints(
  ctx: AppContext,
  input: ApiInput<"restorePoints.list">,
): Promise<CatalogRestorePoint[]> {
  const repo = repositoryOf(ctx, input.repositoryId);
  if (!input.refresh) return ctx.catalog.restorePoints.list(repo.repositoryId);
  const password = await ctx.passwords.forRepository(repo, input.password);
  let listing: RepositoryListing;
  try {
    listing = await refreshRestorePoints(ctx.catalog, repo.repositoryId, password.provider);
  } catch (err) {
    throw explainWrongPassword(err, repo, password.source);
  }
  refuseDamaged(listing);
  return listing.restorePoints;
}

/**
 * The readable restore points are recorded; the damaged ones must not vanish silently, so the
 * call fails loudly (as the CLI's `snapshots` does) and the UI shows both.
 */
function refuseDamaged(listing: RepositoryListing): void {
  if (listing.damaged.length === 0) return;
  throw new DetailedError(
    "corrupt-data",
    `${listing.damaged.length} restore point(s) of ${listing.repository.path} cannot be read: ${listing.damaged.map((d) => d.message).join("; ")}`,
    `The other ${listing.restorePoints.length} restore point(s) are listed and can still be restored. Run a check of the repository to see what is affected.`,
    { repositoryId: listing.repository.repositoryId, damaged: listing.damaged.map((d) => d.id).join(",") },
  );
}
