/**
 * SHA-256 certificate thumbprints, written the way openssl and ESXi print them
 * (`AB:CD:...:EF`, 32 bytes). Users paste them from a console, so input is accepted in any case,
 * with or without colons.
 */
import { createHash } from "node:crypto";
import { UsageError } from "../../common/errors.js";

const SHA256_BYTES = 32;
const SHA1_BYTES = 20;

/** The thumbprint of a DER-encoded certificate. */
export function thumbprintOf(der: Buffer): string {
  return formatThumbprint(createHash("sha256").update(der).digest());
}

export function formatThumbprint(digest: Buffer): string {
  return [...digest].map((b) => b.toString(16).padStart(2, "0").toUpperCase()).join(":");
}

/** Normalises user input to the canonical form, refusing anything that is not a SHA-256 thumbprint. */
export function parseThumbprint(input: string): string {
  const trimmed = input.trim();
  const hex = trimmed.includes(":") ? trimmed.split(":") : (trimmed.match(/.{1,2}/g) ?? []);
  const wellFormed = hex.every((pair) => /^[0-9a-fA-F]{2}$/.test(pair));
  if (!wellFormed || hex.length !== SHA256_BYTES) {
    const sha1 = wellFormed && hex.length === SHA1_BYTES;
    throw new UsageError(
      sha1
        ? `"${trimmed}" is a SHA-1 thumbprint; Snapferry pins certificates by their SHA-256 thumbprint`
        : `"${trimmed}" is not a SHA-256 thumbprint (32 hexadecimal byte pairs, like AB:CD:…)`,
      "Connect once without --accept-thumbprint to see the server's SHA-256 thumbprint, or run " +
        "`openssl x509 -noout -fingerprint -sha256 -in CERT` on the host's certificate.",
    );
  }
  return hex.map((pair) => pair.toUpperCase()).join(":");
}

/** True when both name the same certificate, however each was written. */
export function sameThumbprint(a: string, b: string): boolean {
  return canonical(a) === canonical(b);
}

function canonical(thumbprint: string): string {
  return thumbprint.replace(/[:\s]/g, "").toUpperCase();
}
