/**
 * How a vSphere server is named wherever Snapferry keys something by server (known thumbprints,
 * keychain entries, URLs): kept apart from the known-servers store so that parsing an address
 * loads nothing else.
 */
import { UsageError } from "../../common/errors.js";

export const DEFAULT_VSPHERE_PORT = 443;

/**
 * The identity of a server: host:port, with the host in lower case because DNS names are
 * case-insensitive, so ESXI01 and esxi01 share one thumbprint. The port defaults to 443.
 */
export function serverKey(server: string): string {
  const text = server.trim();
  const bracketed = /^\[([0-9a-f:.]+(?:%[\w.-]+)?)\](?::(\d+))?$/i.exec(text);
  if (bracketed) return `[${(bracketed[1] ?? "").toLowerCase()}]:${port(bracketed[2], server)}`;
  if (/^[0-9a-f:.]+$/i.test(text) && text.split(":").length > 2) {
    return `[${text.toLowerCase()}]:${DEFAULT_VSPHERE_PORT}`;
  }
  const named = /^([a-z0-9_-]+(?:\.[a-z0-9_-]+)*)\.?(?::(\d+))?$/i.exec(text);
  if (!named) {
    throw new UsageError(
      `"${server}" is not a server address`,
      "Give HOST or HOST:PORT, for example esxi01.example.com, 10.0.0.5:443 or [fd00::5]:443.",
    );
  }
  return `${(named[1] ?? "").toLowerCase()}:${port(named[2], server)}`;
}

function port(text: string | undefined, server: string): number {
  if (text === undefined) return DEFAULT_VSPHERE_PORT;
  const value = Number(text);
  if (!Number.isInteger(value) || value < 1 || value > 65535) {
    throw new UsageError(`"${server}" has an invalid port`, "A port is a number from 1 to 65535.");
  }
  return value;
}
