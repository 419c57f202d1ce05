/**
 * vSphere for the app: certificates shown before they are trusted, logging in with the password
 * given or saved in the keychain, and the connection every job and inventory read uses. The order
 * is the CLI's (services/vsphere-connection.ts): certificate first, password only to a trusted server.
 */
import type { CertificateView } from "../../preload/contract.js";
import type { CatalogSource } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import { connectVsphere, PROBE_TIMEOUT_MS } from "./vsphere-connection.js";
import { vsphereCredentialService } from "../sources/vsphere/credential-store.js";
import { knownThumbprint } from "../sources/vsphere/known-servers.js";
import { serverKey } from "../sources/vsphere/server-key.js";
import { probeCertificate } from "../sources/vsphere/pinned-tls.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import { parseVsphereUrl, type VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import { DetailedError } from "./app-errors.js";
import { sourceOf, type AppContext } from "./app-context.js";

const SERVER_FORMAT = "HOST or HOST:PORT (an ESXi host or a vCenter)";

/** "esxi01" → esxi01:443, with the host and port to connect to. */
export function serverLocation(server: string): VsphereLocation {
  const key = serverKey(server);
  return parseVsphereUrl(`vsphere://${key}`, SERVER_FORMAT);
}

export async function probeServerCertificate(ctx: AppContext, server: string): Promise<CertificateView> {
  const location = serverLocation(server);
  const cert = await probeCertificate(location.host, location.port, PROBE_TIMEOUT_MS);
  return {
    server: location.server,
    thumbprint: cert.thumbprint,
    subject: cert.subject,
    issuer: cert.issuer,
    validFrom: cert.validFrom.toISOString(),
    validTo: cert.validTo.toISOString(),
    known: (await knownThumbprint(location.server, ctx.knownServersFile)) ?? null,
  };
}

export interface LoginRequest {
  location: VsphereLocation;
  user: string;
  password: string;
  acceptThumbprint?: string;
}

export function login(ctx: AppContext, request: LoginRequest): Promise<VimClient> {
  const { location, user, password, acceptThumbprint } = request;
  return connectVsphere({
    location,
    user,
    password: async () => password,
    ...(acceptThumbprint ? { acceptThumbprint } : {}),
    ...(ctx.knownServersFile ? { knownServersFile: ctx.knownServersFile } : {}),
  });
}

export function vsphereSourceOf(ctx: AppContext, sourceId: string): CatalogSource & { user: string } {
  const source = sourceOf(ctx, sourceId);
  if (source.kind !== "vsphere" || source.user === null) {
    throw new SnapferryError("usage", `source ${source.name} is not a vSphere server`);
  }
  return { ...source, user: source.user };
}

/** The password for SOURCE: the one given, else the keychain's, else an error the UI answers by asking. */
export async function vspherePassword(
  ctx: AppContext,
  source: CatalogSource & { user: string },
  given: string | undefined,
  field = "password",
): Promise<string> {
  if (given !== undefined) return given;
  const saved = await ctx.passwords.stored(vsphereCredentialService(source.location), source.user);
  if (saved !== undefined) return saved;
  throw new DetailedError(
    "vsphere-login",
    `Snapferry needs the password of ${source.user} on ${source.location}`,
    "Type the password. Tick “Remember” when adding the server to keep it in the OS keychain.",
    { sourceId: source.id, server: source.location, user: source.user, field },
  );
}

/** A connect function for a job: the password is resolved now, the login happens when the job needs it. */
export async function connectorFor(
  ctx: AppContext,
  source: CatalogSource & { user: string },
  given: string | undefined,
  field?: string,
): Promise<() => Promise<VimClient>> {
  const password = await vspherePassword(ctx, source, given, field);
  const location = serverLocation(source.location);
  return () => login(ctx, { location, user: source.user, password });
}

/** The vSphere source in the catalog for SERVER (as a restore point records it), if one was added. */
export function sourceForServer(
  ctx: AppContext,
  server: string,
): (CatalogSource & { user: string }) | undefined {
  const key = serverKey(server);
  const found = ctx.catalog.sources
    .list()
    .find((s) => s.kind === "vsphere" && s.user !== null && s.location === key);
  return found && found.user !== null ? { ...found, user: found.user } : undefined;
}
