/** A server certificate as the trust-on-first-use prompt shows it, from an error's details or a probe. */
import type { ApiError, CertificateView } from "../../../preload/contract";

export const CERTIFICATE_ERRORS = new Set(["tls-unknown-certificate", "tls-certificate-changed"]);

export interface CertificateFacts {
  thumbprint: string;
  subject?: string;
  issuer?: string;
  validFrom?: string;
  validTo?: string;
  /** The thumbprint trusted before, when the certificate changed. */
  previous?: string;
}

/** The facts an error carries, or null when it carries no thumbprint (then probe the server). */
export function certificateFromError(error: ApiError): CertificateFacts | null {
  const d = error.details ?? {};
  const thumbprint = d.thumbprint;
  if (!thumbprint) return null;
  const facts: CertificateFacts = { thumbprint };
  for (const key of ["subject", "issuer", "validFrom", "validTo"] as const) {
    const value = d[key];
    if (value) facts[key] = value;
  }
  const previous = d.pinned ?? d.known;
  if (previous) facts.previous = previous;
  return facts;
}

export function certificateFromView(view: CertificateView): CertificateFacts {
  return {
    thumbprint: view.thumbprint,
    subject: view.subject,
    issuer: view.issuer,
    validFrom: view.validFrom,
    validTo: view.validTo,
    ...(view.known ? { previous: view.known } : {}),
  };
}
