/**
 * Where the app keeps its catalog: SNAPFERRY_DATA_DIR when set (tests, portable installs), else the
 * per-user Snapferry folder the CLI also uses (config-dir.ts), so the app, the bridge and the CLI
 * share one catalog. Never a secret there: passwords are in the OS keychain.
 */
import path from "node:path";
import type { Catalog } from "../catalog/catalog-api.js";
import { CATALOG_FILE_NAME, openCatalog } from "../catalog/catalog.js";
import { configDir, ensureConfigDir } from "../common/config-dir.js";

export const DATA_DIR_VARIABLE = "SNAPFERRY_DATA_DIR";

export function appDataDir(env: NodeJS.ProcessEnv = process.env): string {
  const override = env[DATA_DIR_VARIABLE];
  return override ? path.resolve(override) : configDir({ env });
}

/** Opens (creating when needed) the catalog in DIR; runs a dead process left "running" are marked failed. */
export async function openAppCatalog(dir: string): Promise<Catalog> {
  await ensureConfigDir(dir);
  const catalog = openCatalog(path.join(dir, CATALOG_FILE_NAME));
  catalog.runs.failAbandoned("Snapferry stopped while this job ran");
  return catalog;
}
