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
import type { VsphereLocation } from "../sources/vsphere/vsphere-url.js";

/** How long a bare TLS handshake to show a certificate may take. */
export const PROBE_TIMEOUT_MS = 15_000;

export interface VsphereConnectRequest {
  location: VsphereLocation;
  user: string;
  /** A thumbprint the user accepts on this run (first contact, or a renewed certificate). */
  acceptThumbprint?: string;
  /** Asked only after the certificate is trusted. */
  password: () => Promise<string>;
  /** The known-servers file; the user's own by default. */
  knownServersFile?: string;
}

export async function connectVsphere(request: VsphereConnectRequest): Promise<VimClient> {
  const { host, port, server } = request.location;
  const known = await knownThumbprint(server, request.knownServersFile);
  const accepted = request.acceptThumbprint ? parseThumbprint(request.acceptThumbprint) : undefined;
  const pin = accepted ?? known;
  if (!pin) {
    const certificate = await probeCertificate(host, port, PROBE_TIMEOUT_MS);
    throw new TlsUnknownCertificateError(server, certificate);
  }
  const client = await VimClient.connect({
    host,
    port,
    thumbprint: pin,
    username: request.user,
    password: await request.password(),
  });
  if (accepted && !(known && sameThumbprint(known, accepted))) {
    await rememberThumbprint(server, accepted, request.knownServersFile);
  }
  return client;
}
