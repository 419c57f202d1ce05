/** The repositories this machine knows, keyed by the id in each repository's own config. */
import type { Database } from "better-sqlite3";
import { SnapferryError } from "../common/errors.js";
import type { Catalog, CatalogRepository } from "./catalog-api.js";
import { enumColumn } from "./columns.js";

interface RepositoryRow {
  repository_id: string;
  name: string;
  path: string;
  encryption: string;
  chunk_size: number;
  added_at: string;
  last_opened_at: string | null;
}

const ENCRYPTIONS = ["aes256gcm", "none"] as const;

export function repositoriesStore(db: Database): Catalog["repositories"] {
  const listRows = db.prepare<[], RepositoryRow>("SELECT * FROM repositories ORDER BY name, repository_id");
  const getRow = db.prepare<[string], RepositoryRow>("SELECT * FROM repositories WHERE repository_id = ?");
  // An upsert keeps added_at and last_opened_at: the repository is the same one, found again.
  const upsertRow = db.prepare<[RepositoryRow]>(`
    INSERT INTO repositories (repository_id, name, path, encryption, chunk_size, added_at, last_opened_at)
    VALUES (@repository_id, @name, @path, @encryption, @chunk_size, @added_at, @last_opened_at)
    ON CONFLICT (repository_id) DO UPDATE SET
      name = excluded.name, path = excluded.path, encryption = excluded.encryption,
      chunk_size = excluded.chunk_size`);
  const touchRow = db.prepare<[string, string]>(
    "UPDATE repositories SET last_opened_at = ? WHERE repository_id = ?",
  );
  const removeRow = db.prepare<[string]>("DELETE FROM repositories WHERE repository_id = ?");

  const fromRow = (row: RepositoryRow): CatalogRepository => ({
    repositoryId: row.repository_id,
    name: row.name,
    path: row.path,
    encryption: enumColumn(db.name, `repository ${row.repository_id}`, ENCRYPTIONS, row.encryption),
    chunkSize: row.chunk_size,
    addedAt: row.added_at,
    lastOpenedAt: row.last_opened_at,
  });

  const get = (repositoryId: string): CatalogRepository | undefined => {
    const row = getRow.get(repositoryId);
    return row ? fromRow(row) : undefined;
  };

  return {
    list: () => listRows.all().map(fromRow),
    get,
    upsert(repo) {
      upsertRow.run({
        repository_id: repo.repositoryId,
        name: repo.name,
        path: repo.path,
        encryption: repo.encryption,
        chunk_size: repo.chunkSize,
        added_at: new Date().toISOString(),
        last_opened_at: null,
      });
      return mustExist(get(repo.repositoryId), repo.repositoryId);
    },
    touch(repositoryId) {
      if (touchRow.run(new Date().toISOString(), repositoryId).changes === 0) {
        throw notInCatalog(repositoryId);
      }
    },
    remove: (repositoryId) => removeRow.run(repositoryId).changes > 0,
  };
}

function mustExist(repo: CatalogRepository | undefined, repositoryId: string): CatalogRepository {
  if (!repo) throw notInCatalog(repositoryId);
  return repo;
}

export function notInCatalog(repositoryId: string): SnapferryError {
  return new SnapferryError(
    "not-found",
    `repository ${repositoryId} is not in the catalog`,
    "Open it as an existing repository first.",
  );
}
