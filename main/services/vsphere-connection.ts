/**
 * Opens a session with an ESXi host or a vCenter the way every door (CLI, app) must: the server's
 * certificate is checked against the thumbprint the user accepted before anything is sent, the
 * password is asked for only once the certificate is trusted, and a thumbprint accepted on this
 * run is remembered only after a successful login.
 */
import { rememberThumbprint, knownThumbprint } from "../sources/vsphere/known-servers.js";
import { probeCertificate } from "../sources/vsphere/pinned-tls.js";
import { parseThumbprint, sameThumbprint } from "../sources/vsphere/thumbprint.js";
import { VimClient } from "../sources/vsphere/vim-client.js";
import { TlsUnknownCertificateError } from "../sources/vsphere/vsphere-errors.js";

const PROBE_TIMEOUT_MS = 15_000;

export interface VsphereConnectRequest {
  host: string;
  port: number;
  /** "host:port" as known-servers keys it. */
  server: string;
  user: string;
  /** A thumbprint the user accepts on this run (first contact, or a renewed certificate). */
  acceptThumbprint?: string;
  /** Asked only after the certificate is trusted. */
  password: () => Promise<string>;
  /** The known-servers file; the user's own by default. */
  knownServersFile?: string;
}

export async function connectVsphere(request: VsphereConnectRequest): Promise<VimClient> {
  const known = await knownThumbprint(request.server, request.knownServersFile);
  const accepted = request.acceptThumbprint ? parseThumbprint(request.acceptThumbprint) : undefined;
  const pin = accepted ?? known;
  if (!pin) {
    const certificate = await probeCertificate(request.host, request.port, PROBE_TIMEOUT_MS);
    throw new TlsUnknownCertificateError(request.server, certificate);
  }
  const client = await VimClient.connect({
    host: request.host,
    port: request.port,
    thumbprint: pin,
    username: request.user,
    password: await request.password(),
  });
  if (accepted && !(known && sameThumbprint(known, accepted))) {
    await rememberThumbprint(request.server, accepted, request.knownServersFile);
  }
  return client;
}
