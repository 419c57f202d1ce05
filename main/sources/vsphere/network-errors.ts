/**
 * Node's socket errors (ECONNREFUSED, ETIMEDOUT, ...) as messages an admin can act on: which
 * server, what the code means, what to check.
 */
import { SnapferryError, errnoCode } from "../../common/errors.js";
import { VsphereNetworkError } from "./vsphere-errors.js";

/** "esx1.lan" on the default port, "esx1.lan:8443" otherwise, "[fe80::1]:443" for IPv6. */
export function serverLabel(host: string, port: number): string {
  const shown = host.includes(":") ? `[${host}]` : host;
  return port === 443 ? shown : `${shown}:${port}`;
}

const UNREACHABLE = new Set(["ETIMEDOUT", "EHOSTUNREACH", "ENETUNREACH", "EHOSTDOWN", "ENETDOWN"]);
const CUT = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED", "ERR_STREAM_PREMATURE_CLOSE"]);

/** Maps a socket-level failure; SnapferryErrors (a TLS pin refusal, say) pass through unchanged. */
export function networkError(err: unknown, host: string, port: number): SnapferryError {
  if (err instanceof SnapferryError) return err;
  const server = `${host}:${port}`;
  const code =
    errnoCode(err) ?? (err instanceof Error && /socket hang up/.test(err.message) ? "ECONNRESET" : undefined);
  if (code === "ECONNREFUSED") {
    return new VsphereNetworkError(
      `cannot reach ${server} (ECONNREFUSED): nothing accepts connections there`,
      "Check the host name and port (ESXi and vCenter listen on 443), that the host is up, and that no firewall blocks it.",
      code,
      err,
    );
  }
  if (code === "ENOTFOUND" || code === "EAI_AGAIN") {
    return new VsphereNetworkError(
      `cannot resolve the host name ${host} (${code})`,
      "Check the spelling of the host name and your DNS settings, or use the host's IP address.",
      code,
      err,
    );
  }
  if (code !== undefined && UNREACHABLE.has(code)) {
    return new VsphereNetworkError(
      `cannot reach ${server} (${code}): no answer`,
      "Check that the host is up and the network path to it (VPN, firewall, routing).",
      code,
      err,
    );
  }
  if (code !== undefined && CUT.has(code)) {
    return new VsphereNetworkError(
      `the connection to ${server} was cut (${code})`,
      "Check the network; if it repeats, the host, a proxy or a firewall may be closing connections.",
      code,
      err,
    );
  }
  if (code !== undefined && (code === "EPROTO" || code.startsWith("ERR_SSL") || code.startsWith("ERR_TLS"))) {
    return new VsphereNetworkError(
      `the TLS handshake with ${server} failed (${code})`,
      "Check that this address and port serve HTTPS (ESXi and vCenter listen on 443).",
      code,
      err,
    );
  }
  const reason = err instanceof Error ? err.message : String(err);
  return new VsphereNetworkError(
    `the connection to ${server} failed: ${reason}`,
    "Check the host and the network.",
    code,
    err,
  );
}
