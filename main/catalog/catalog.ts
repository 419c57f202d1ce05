/**
 * The catalog: one SQLite file in the app's data folder (the shell chooses it), opened by the app
 * and by CLI runs alike. A cache of what the repositories hold, plus the app's own settings; see
 * catalog-api.ts for what it keeps and rebuild.ts for how the repositories refill it.
 */
import { randomUUID } from "node:crypto";
import type { Catalog } from "./catalog-api.js";
import { openCatalogDb } from "./catalog-db.js";
import { jobsStore } from "./jobs-store.js";
import { settingsStore } from "./settings-store.js";
import { repositoriesStore } from "./repositories-store.js";
import { restorePointsStore } from "./restore-points-store.js";
import { runsStore } from "./runs-store.js";
import { sourcesStore } from "./sources-store.js";

export { setCatalogAside, BUSY_TIMEOUT_MS } from "./catalog-db.js";
export { CatalogRowError, CatalogTooNewError, CatalogUnreadableError } from "./catalog-errors.js";

/** The catalog's file name inside the app's data folder. */
export const CATALOG_FILE_NAME = "catalog.sqlite";

/**
 * Opens (creating and migrating when needed) the catalog at FILE. Throws CatalogUnreadableError
 * for a file that is not a sound SQLite database (offer setCatalogAside, then open again) and
 * CatalogTooNewError for one a newer Snapferry wrote.
 */
export function openCatalog(file: string): Catalog {
  const db = openCatalogDb(file);
  const runs = runsStore(db, randomUUID());
  return {
    repositories: repositoriesStore(db),
    sources: sourcesStore(db),
    restorePoints: restorePointsStore(db),
    jobs: jobsStore(db),
    settings: settingsStore(db),
    runs,
    close() {
      if (!db.open) return;
      runs.close();
      db.close();
    },
  };
}
