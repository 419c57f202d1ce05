/**
 * Records verification outcomes in this machine's catalog (the one the app shows), so that a
 * `snapferry verify` run from a terminal or a scheduler turns the app's restore point list green
 * or red too. Only a repository the app already knows is recorded; the CLI never creates a catalog.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import { CATALOG_FILE_NAME, openCatalog } from "../catalog/catalog.js";
import { refreshRestorePoints } from "../catalog/rebuild.js";
import type { PasswordProvider } from "../repository/repository.js";
import { appDataDir } from "./app-data-dir.js";
import type { RestorePointVerification } from "./verify-service.js";

/** What happened to the results: recorded, or why not (a note for the user, never a failure). */
export async function recordVerifications(
  results: readonly RestorePointVerification[],
  password: PasswordProvider | undefined,
  dataDir = appDataDir(),
): Promise<string> {
  const first = results[0];
  if (!first) return "nothing to record";
  const file = path.join(dataDir, CATALOG_FILE_NAME);
  if (!existsSync(file)) return "not recorded: this machine has no Snapferry catalog (the app was never run)";
  const catalog = openCatalog(file);
  try {
    if (!catalog.repositories.get(first.repositoryId)) {
      return "not recorded: the app does not know this repository (open it in the app to see verification results)";
    }
    // The cached list must hold the restore points before outcomes can be recorded against them.
    await refreshRestorePoints(catalog, first.repositoryId, password);
    for (const r of results) {
      catalog.restorePoints.recordVerification(
        r.repositoryId,
        r.restorePoint,
        r.ok ? { at: r.at, ok: true } : { at: r.at, ok: false, reason: r.reason ?? "verification failed" },
      );
    }
    return `recorded in the catalog at ${file}`;
  } finally {
    catalog.close();
  }
}
