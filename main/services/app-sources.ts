/** The sources calls: where VMs come from (local folders and images, ESXi hosts and vCenters). */
import path from "node:path";
import type { ApiInput, ApiOutput, SourceInventory } from "../../preload/contract.js";
import type { CatalogSource } from "../catalog/catalog-api.js";
import { vsphereCredentialService } from "../sources/vsphere/credential-store.js";
import { vsphereInventory } from "./vsphere-service.js";
import { sourceOf, type AppContext } from "./app-context.js";
import { localInventory, localSourceKind } from "./app-local-inventory.js";
import { toWire } from "./app-wire.js";
import {
  login,
  probeServerCertificate,
  serverLocation,
  vspherePassword,
  vsphereSourceOf,
} from "./app-vsphere.js";

export function listSources(ctx: AppContext): CatalogSource[] {
  return ctx.catalog.sources.list();
}

export async function addLocalSource(
  ctx: AppContext,
  input: ApiInput<"sources.addLocal">,
): Promise<CatalogSource> {
  const location = path.resolve(input.path);
  const kind = await localSourceKind(location);
  const existing = ctx.catalog.sources.list().find((s) => s.kind === kind && s.location === location);
  if (existing) return existing;
  const candidate = { kind, location, name: path.basename(location), user: null };
  // Read it once now, so a path that is not a VM or an image is refused when it is added.
  const inventory = await localInventory({ ...candidate, id: "", addedAt: "" });
  const name = kind === "local-folder" ? (inventory.vms[0]?.name ?? candidate.name) : candidate.name;
  return ctx.catalog.sources.add({ ...candidate, name });
}

export const probeCertificate = (ctx: AppContext, input: ApiInput<"sources.probeCertificate">) =>
  probeServerCertificate(ctx, input.server);

/**
 * Logs in once, so that a wrong password or an untrusted certificate is answered now: an unknown
 * certificate comes back as a tls-unknown-certificate error whose details carry the thumbprint,
 * and the UI calls again with acceptThumbprint once the user compared it.
 */
export async function addVsphereSource(
  ctx: AppContext,
  input: ApiInput<"sources.addVsphere">,
): Promise<CatalogSource> {
  const location = serverLocation(input.server);
  const client = await login(ctx, {
    location,
    user: input.user,
    password: input.password,
    ...(input.acceptThumbprint ? { acceptThumbprint: input.acceptThumbprint } : {}),
  });
  await client.close();
  await ctx.passwords.keep(
    vsphereCredentialService(location.server),
    input.user,
    input.password,
    input.rememberPassword,
  );
  const existing = ctx.catalog.sources
    .list()
    .find((s) => s.kind === "vsphere" && s.location === location.server && s.user === input.user);
  if (existing) return existing;
  return ctx.catalog.sources.add({
    kind: "vsphere",
    name: location.host,
    location: location.server,
    user: input.user,
  });
}

export async function removeSource(
  ctx: AppContext,
  input: ApiInput<"sources.remove">,
): Promise<ApiOutput<"sources.remove">> {
  const source = ctx.catalog.sources.get(input.sourceId);
  if (!source) return { removed: false };
  const removed = ctx.catalog.sources.remove(source.id);
  const user = source.user;
  const stillUsed = ctx.catalog.sources
    .list()
    .some((s) => s.kind === "vsphere" && s.location === source.location && s.user === user);
  if (source.kind === "vsphere" && user !== null && !stillUsed) {
    await ctx.passwords.drop(vsphereCredentialService(source.location), user);
  }
  return { removed };
}

export async function sourceInventory(
  ctx: AppContext,
  input: ApiInput<"sources.inventory">,
): Promise<SourceInventory> {
  const source = sourceOf(ctx, input.sourceId);
  if (source.kind !== "vsphere") return localInventory(source);
  const vsphere = vsphereSourceOf(ctx, source.id);
  const password = await vspherePassword(ctx, vsphere, input.password);
  const client = await login(ctx, {
    location: serverLocation(vsphere.location),
    user: vsphere.user,
    password,
  });
  try {
    return { kind: "vsphere", ...toWire(await vsphereInventory(client, new Date())) };
  } finally {
    await client.close();
  }
}
