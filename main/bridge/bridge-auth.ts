/**
 * Who may talk to the loopback bridge. A browser on this machine reaches 127.0.0.1, and so can any
 * web page it opens or any local user; so every request must carry the per-run token (a cookie set
 * from the `?token=` URL the console printed, as Jupyter does, or an `Authorization: Bearer` header
 * for scripts), name this server in its Host header (a DNS-rebinding page names its own domain),
 * and, when it changes something, come from this origin.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

export function newToken(): string {
  return randomBytes(32).toString("base64url");
}

/** Cookies are shared by every port of a host: the name carries the port, so two bridges never mix. */
export function cookieName(port: number): string {
  return `snapferry-token-${port}`;
}

export function sessionCookie(port: number, token: string): string {
  return `${cookieName(port)}=${token}; Path=/; HttpOnly; SameSite=Strict`;
}

export function allowedHosts(port: number): string[] {
  return [`127.0.0.1:${port}`, `localhost:${port}`];
}

export function hostAllowed(host: string | undefined, port: number): boolean {
  return host !== undefined && allowedHosts(port).includes(host.toLowerCase());
}

/** A request without Origin (a script, a same-origin GET) passes; a foreign one never does. */
export function originAllowed(origin: string | undefined, port: number): boolean {
  if (origin === undefined) return true;
  return allowedHosts(port).some((host) => origin.toLowerCase() === `http://${host}`);
}

/** The token a request presents: a Bearer header first, else this bridge's cookie. */
export function presentedToken(headers: IncomingHttpHeaders, port: number): string | undefined {
  const auth = headers.authorization;
  if (auth !== undefined) {
    const bearer = /^Bearer\s+(\S+)$/i.exec(auth);
    return bearer?.[1];
  }
  const name = cookieName(port);
  for (const part of (headers.cookie ?? "").split(";")) {
    const [key, ...value] = part.trim().split("=");
    if (key === name) return value.join("=");
  }
  return undefined;
}

/** Compares in constant time (hashes first, so lengths leak nothing either). */
export function sameToken(presented: string | undefined, expected: string): boolean {
  if (presented === undefined) return false;
  const a = createHash("sha256").update(presented).digest();
  const b = createHash("sha256").update(expected).digest();
  return timingSafeEqual(a, b);
}
