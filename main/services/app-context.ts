/**
 * What every part of the app's API shares: the catalog, the passwords, the running jobs, and the
 * lookups that turn the ids the UI sends into catalog entries (or errors the UI can show).
 */
import type { AppInfo } from "../../preload/contract.js";
import type { Catalog, CatalogRepository, CatalogSource } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import { Repository } from "../repository/repository.js";
import { AppPasswords, explainWrongPassword, type RepositoryPassword } from "./app-passwords.js";
import type { RunRegistry } from "./run-registry.js";

export interface AppContext {
  catalog: Catalog;
  passwords: AppPasswords;
  runs: RunRegistry;
  door: AppInfo["door"];
  log: (message: string) => void;
  /** The accepted-thumbprints file; the user's own (configuration folder) when undefined. */
  knownServersFile: string | undefined;
}

export function repositoryOf(ctx: AppContext, repositoryId: string): CatalogRepository {
  const repo = ctx.catalog.repositories.get(repositoryId);
  if (!repo) {
    throw new SnapferryError(
      "not-found",
      `repository ${repositoryId} is not in Snapferry's list`,
      "Open it with “Open existing repository” first.",
    );
  }
  return repo;
}

export function sourceOf(ctx: AppContext, sourceId: string): CatalogSource {
  const source = ctx.catalog.sources.get(sourceId);
  if (!source) {
    throw new SnapferryError(
      "not-found",
      `source ${sourceId} is not in Snapferry's list`,
      "Add the source first.",
    );
  }
  return source;
}

/**
 * Opens the repository with the given or saved password, so that a missing or wrong password (or
 * an unplugged disk) is answered at once, before a job is started in the background.
 */
export async function openRepository(
  ctx: AppContext,
  repo: CatalogRepository,
  given: string | undefined,
): Promise<{ repository: Repository; password: RepositoryPassword }> {
  const password = await ctx.passwords.forRepository(repo, given);
  try {
    return { repository: await Repository.open(repo.path, password.provider), password };
  } catch (err) {
    throw explainWrongPassword(err, repo, password.source);
  }
}
