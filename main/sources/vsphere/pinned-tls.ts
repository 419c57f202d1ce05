/**
 * TLS pinned by thumbprint. ESXi ships self-signed certificates, so a CA chain proves nothing; the
 * user accepts a host's SHA-256 thumbprint once (trust on first use) and every later connection must
 * present exactly that certificate. The check runs after the handshake and before the socket is
 * handed to HTTP, so no byte of any request (credentials included) reaches an unverified server.
 */
import https from "node:https";
import type { ClientRequestArgs } from "node:http";
import { isIP } from "node:net";
import type { Duplex } from "node:stream";
import tls from "node:tls";
import { networkError, serverLabel } from "./network-errors.js";
import { sameThumbprint, thumbprintOf } from "./thumbprint.js";
import {
  TlsCertificateChangedError,
  TlsUnknownCertificateError,
  VsphereNetworkError,
  VsphereProtocolError,
  type CertificateInfo,
} from "./vsphere-errors.js";

export interface PinnedServer {
  host: string;
  port: number;
  /** The accepted SHA-256 thumbprint; undefined when the user has not accepted one yet. */
  thumbprint: string | undefined;
  /** Bound on TCP connect plus TLS handshake. */
  connectTimeoutMs: number;
}

export function describeCertificate(cert: tls.PeerCertificate): CertificateInfo {
  return {
    thumbprint: thumbprintOf(cert.raw),
    subject: distinguishedName(cert.subject),
    issuer: distinguishedName(cert.issuer),
    validFrom: new Date(cert.valid_from),
    validTo: new Date(cert.valid_to),
  };
}

function distinguishedName(name: tls.Certificate | undefined): string {
  const parts = Object.entries(name ?? {}).map(
    ([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : (v ?? "")}`,
  );
  return parts.length > 0 ? parts.join(", ") : "(empty)";
}

/** Opens a TLS connection that does not verify the chain: the caller checks the thumbprint. */
function connectUnverified(host: string, port: number): tls.TLSSocket {
  return tls.connect({
    host,
    port,
    // SNI carries host names only; an IP address there is a protocol violation.
    ...(isIP(host) === 0 ? { servername: host } : {}),
    rejectUnauthorized: false,
  });
}

function peerCertificate(socket: tls.TLSSocket, host: string, port: number): CertificateInfo {
  const cert = socket.getPeerCertificate();
  if (!cert.raw) {
    throw new VsphereProtocolError(`${serverLabel(host, port)} presented no TLS certificate`);
  }
  return describeCertificate(cert);
}

function handshakeTimeout(host: string, port: number, timeoutMs: number): VsphereNetworkError {
  return new VsphereNetworkError(
    `cannot reach ${host}:${port} (ETIMEDOUT): no TLS handshake within ${Math.round(timeoutMs / 1000)} s`,
    "Check that the host is up and the network path to it (VPN, firewall, routing).",
    "ETIMEDOUT",
  );
}

/**
 * Calls `done` exactly once: with the socket once its handshake finished, or with an error (the
 * socket is then destroyed). The handshake is bounded by `timeoutMs`.
 */
function afterHandshake(
  socket: tls.TLSSocket,
  target: { host: string; port: number; timeoutMs: number },
  done: (err: Error | null) => void,
): void {
  let settled = false;
  const finish = (err: Error | null): void => {
    if (settled) return;
    settled = true;
    clearTimeout(timer);
    socket.removeListener("error", onError);
    if (err) socket.destroy();
    done(err);
  };
  const onError = (err: Error): void => finish(networkError(err, target.host, target.port));
  const timer = setTimeout(
    () => finish(handshakeTimeout(target.host, target.port, target.timeoutMs)),
    target.timeoutMs,
  );
  socket.once("secureConnect", () => finish(null));
  socket.on("error", onError);
}

/** What the server's certificate is, by a bare handshake: shown to the user before accepting it. */
export function probeCertificate(host: string, port: number, timeoutMs: number): Promise<CertificateInfo> {
  return new Promise((resolve, reject) => {
    const socket = connectUnverified(host, port);
    afterHandshake(socket, { host, port, timeoutMs }, (err) => {
      if (err) return reject(err);
      try {
        resolve(peerCertificate(socket, host, port));
      } catch (e) {
        reject(e);
      } finally {
        socket.destroy();
      }
    });
  });
}

/** Throws unless the presented certificate is the pinned one. */
export function checkPin(server: PinnedServer, presented: CertificateInfo): void {
  const label = serverLabel(server.host, server.port);
  if (server.thumbprint === undefined) throw new TlsUnknownCertificateError(label, presented);
  if (!sameThumbprint(server.thumbprint, presented.thumbprint)) {
    throw new TlsCertificateChangedError(label, server.thumbprint, presented);
  }
}

/**
 * A keep-alive HTTPS agent bound to one server: every socket it opens goes to that server and is
 * handed to HTTP only after its certificate matched the pin. TLS sessions are not cached, so no
 * connection skips the certificate exchange.
 */
export class PinnedAgent extends https.Agent {
  constructor(readonly server: PinnedServer) {
    super({ keepAlive: true, maxCachedSessions: 0, maxSockets: 16 });
  }

  override createConnection(
    _options: ClientRequestArgs,
    callback?: (err: Error | null, stream: Duplex) => void,
  ): Duplex | null | undefined {
    const { host, port, connectTimeoutMs } = this.server;
    const socket = connectUnverified(host, port);
    afterHandshake(socket, { host, port, timeoutMs: connectTimeoutMs }, (err) => {
      if (err) return callback?.(err, socket);
      try {
        checkPin(this.server, peerCertificate(socket, host, port));
      } catch (e) {
        socket.destroy();
        return callback?.(e instanceof Error ? e : new Error(String(e)), socket);
      }
      callback?.(null, socket);
    });
    // Returning nothing makes the HTTP agent wait for the callback, i.e. for the verified socket.
    return undefined;
  }
}
