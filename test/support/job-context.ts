/**
 * The app's context for tests of jobs and their services: a real catalog and run registry, the
 * keychain as an in-memory store (the keychain itself is tested in keychain.test.ts).
 */
import type { AppEvent } from "../../preload/contract.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import type { AppContext } from "../../main/services/app-context.js";
import { AppPasswords } from "../../main/services/app-passwords.js";
import { RunRegistry } from "../../main/services/run-registry.js";
import { MemoryCredentialStore, type CredentialStore } from "../../main/sources/vsphere/credential-store.js";

export interface TestContextOptions {
  credentials?: CredentialStore;
  events?: (event: AppEvent) => void;
  knownServersFile?: string;
}

export function testAppContext(catalog: Catalog, options: TestContextOptions = {}): AppContext {
  return {
    catalog,
    passwords: new AppPasswords(options.credentials ?? new MemoryCredentialStore(), () => undefined),
    runs: new RunRegistry(catalog, options.events ?? (() => undefined), () => undefined),
    door: "cli",
    log: () => undefined,
    knownServersFile: options.knownServersFile,
  };
}
