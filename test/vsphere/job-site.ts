/**
 * A vSphere backup site (vcsim behind the CBT proxy) as the app sees it for jobs: a catalog with
 * the server as a source (its certificate accepted, its password and the repository's in the
 * keychain) and the site's repository opened.
 */
import path from "node:path";
import type { AppEvent } from "../../preload/contract.js";
import type { Catalog } from "../../main/catalog/catalog-api.js";
import { openCatalog } from "../../main/catalog/catalog.js";
import { openExistingRepository } from "../../main/catalog/rebuild.js";
import type { AppContext } from "../../main/services/app-context.js";
import {
  MemoryCredentialStore,
  vsphereCredentialService,
} from "../../main/sources/vsphere/credential-store.js";
import { rememberThumbprint } from "../../main/sources/vsphere/known-servers.js";
import { serverKey } from "../../main/sources/vsphere/server-key.js";
import { TEST_PASSWORD } from "../support/cli.js";
import { testAppContext } from "../support/job-context.js";
import type { BackupSite } from "./backup-fixtures.js";

export interface JobSite {
  catalog: Catalog;
  ctx: AppContext;
  repositoryId: string;
  sourceId: string;
}

export async function vsphereJobSite(site: BackupSite, events?: (event: AppEvent) => void): Promise<JobSite> {
  const catalog = openCatalog(path.join(site.dir, "catalog.sqlite"));
  const server = `${site.proxy.host}:${site.proxy.port}`;
  const knownServersFile = path.join(site.dir, "known-servers.json");
  await rememberThumbprint(server, site.proxy.thumbprint, knownServersFile);
  const credentials = new MemoryCredentialStore();
  await credentials.set(vsphereCredentialService(serverKey(server)), "backup", "pass");
  const ctx = testAppContext(catalog, { credentials, knownServersFile, ...(events ? { events } : {}) });
  const repo = await openExistingRepository(catalog, { path: site.repo, password: TEST_PASSWORD });
  await ctx.passwords.rememberRepository(repo.repository.repositoryId, TEST_PASSWORD, true);
  const source = catalog.sources.add({
    kind: "vsphere",
    name: "vcsim",
    location: serverKey(server),
    user: "backup",
  });
  return { catalog, ctx, repositoryId: repo.repository.repositoryId, sourceId: source.id };
}
