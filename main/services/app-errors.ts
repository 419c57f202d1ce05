/**
 * How failures cross the app's doors: as data (ApiError), because Electron's IPC keeps only an
 * Error's message and the UI needs the code, the hint and sometimes details to act on (a
 * certificate's thumbprint, which password to ask for). Anything that is not a SnapferryError is
 * a bug: the user gets a generic message and the detail goes to the log, never to the screen.
 */
import type { ApiError } from "../../preload/contract.js";
import { SnapferryError, type ErrorCode } from "../common/errors.js";
import { TlsCertificateChangedError, TlsUnknownCertificateError } from "../sources/vsphere/vsphere-errors.js";

/** A SnapferryError that carries data the UI needs beyond its words. Never a secret. */
export class DetailedError extends SnapferryError {
  constructor(
    code: ErrorCode,
    message: string,
    hint: string | undefined,
    readonly details: Record<string, string>,
  ) {
    super(code, message, hint);
  }
}

export const INTERNAL_MESSAGE = "Snapferry hit an unexpected problem and stopped this action";
const INTERNAL_HINT =
  "Nothing was changed by the failed step. Try again; if it persists, send the log to support.";

export function toApiError(err: unknown, log: (message: string) => void): ApiError {
  if (!(err instanceof SnapferryError)) {
    log(`internal error: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}`);
    return { code: "internal", message: INTERNAL_MESSAGE, hint: INTERNAL_HINT };
  }
  const details = detailsOf(err);
  const hint = appHint(err) ?? err.hint;
  return {
    code: err.code,
    message: err.message,
    ...(hint !== undefined ? { hint } : {}),
    ...(details ? { details } : {}),
  };
}

function detailsOf(err: SnapferryError): Record<string, string> | undefined {
  if (err instanceof DetailedError) return err.details;
  if (err instanceof TlsUnknownCertificateError || err instanceof TlsCertificateChangedError) {
    const c = err.certificate;
    return {
      server: err.server,
      thumbprint: c.thumbprint,
      subject: c.subject,
      issuer: c.issuer,
      validFrom: c.validFrom.toISOString(),
      validTo: c.validTo.toISOString(),
      ...(err instanceof TlsCertificateChangedError ? { pinned: err.pinned } : {}),
    };
  }
  return undefined;
}

/** The CLI's hints name flags and variables; in the app the same step is a button. */
function appHint(err: SnapferryError): string | undefined {
  if (err instanceof TlsUnknownCertificateError) {
    return "Compare this thumbprint with the one the host shows (ESXi console or vSphere Client), then accept it to connect.";
  }
  if (err instanceof TlsCertificateChangedError) {
    return "If the host's certificate was renewed on purpose, check the new thumbprint on the host and accept it; otherwise do not connect and check the network path to the host.";
  }
  return undefined;
}

/** A run's error as stored in its history: the message and what to do, in one line. */
export function runErrorText(err: unknown): string {
  if (!(err instanceof SnapferryError)) return INTERNAL_MESSAGE;
  const hint = appHint(err) ?? err.hint;
  return hint ? `${err.message}. ${hint}` : err.message;
}
