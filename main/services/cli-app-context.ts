/**
 * The app's context for a terminal: `snapferry job` runs jobs through the same services, catalog
 * and keychain as the app, so its runs appear in the app's history. Nothing is shown but the log.
 */
import type { Catalog } from "../catalog/catalog-api.js";
import { KeychainCredentialStore } from "../sources/vsphere/keychain-credential-store.js";
import type { AppContext } from "./app-context.js";
import { appDataDir, openAppCatalog } from "./app-data-dir.js";
import { AppPasswords } from "./app-passwords.js";
import { RunRegistry } from "./run-registry.js";

export async function openCliAppContext(
  log: (message: string) => void,
): Promise<{ ctx: AppContext; catalog: Catalog; close(): Promise<void> }> {
  const catalog = await openAppCatalog(appDataDir());
  const runs = new RunRegistry(catalog, () => undefined, log);
  const ctx: AppContext = {
    catalog,
    passwords: new AppPasswords(new KeychainCredentialStore(), log),
    runs,
    door: "cli",
    log,
    knownServersFile: undefined,
  };
  return {
    ctx,
    catalog,
    async close() {
      await runs.shutdown();
      catalog.close();
    },
  };
}
