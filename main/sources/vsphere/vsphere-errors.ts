/**
 * The errors of the vSphere connector. Every one names the server, says what happened in words an
 * admin knows from the vSphere Client, and hints at what to do. None ever carries a password, a
 * session cookie or a request body: they are shown, logged and stored in job histories.
 */
import { SnapferryError, type ErrorCode } from "../../common/errors.js";

/** The server answered something that is not the vim25 SOAP we expect (or nothing usable). */
export class VsphereProtocolError extends SnapferryError {
  constructor(message: string, hint = "Check that the address points at an ESXi host or a vCenter Server.") {
    super("vsphere-protocol", message, hint);
  }
}

/**
 * A vim25 fault (a SOAP fault, a failed task's error or a property the collector could not read),
 * translated. `faultType` is the vim type name ("InvalidPowerState") for callers that branch on it;
 * `serverMessage` is the server's own text, kept for logs.
 */
export class VsphereFaultError extends SnapferryError {
  constructor(
    code: ErrorCode,
    readonly faultType: string,
    message: string,
    hint: string | undefined,
    readonly serverMessage: string,
  ) {
    super(code, message, hint);
  }
}

export function isVimFault(err: unknown, ...faultTypes: string[]): err is VsphereFaultError {
  return err instanceof VsphereFaultError && faultTypes.includes(err.faultType);
}

/** A call or a task that took longer than allowed. */
export class VsphereTimeoutError extends SnapferryError {
  constructor(message: string, hint: string) {
    super("vsphere-timeout", message, hint);
  }
}

/** The connection could not be made or was cut; `errno` is Node's code (ECONNREFUSED, ...). */
export class VsphereNetworkError extends SnapferryError {
  constructor(
    message: string,
    hint: string,
    readonly errno: string | undefined,
    cause?: unknown,
  ) {
    super("network", message, hint, { cause });
  }
}

/** What a server's certificate says about itself, shown to the user before trusting it. */
export interface CertificateInfo {
  /** SHA-256 of the DER certificate, as colon-separated uppercase hex. */
  thumbprint: string;
  subject: string;
  issuer: string;
  validFrom: Date;
  validTo: Date;
}

/** The server is not pinned yet: the user must look at the thumbprint and accept it explicitly. */
export class TlsUnknownCertificateError extends SnapferryError {
  constructor(
    readonly server: string,
    readonly certificate: CertificateInfo,
  ) {
    super(
      "tls-unknown-certificate",
      `the certificate of ${server} is not trusted yet; its SHA-256 thumbprint is ${certificate.thumbprint} ` +
        `(subject ${certificate.subject}, issuer ${certificate.issuer})`,
      "Compare this thumbprint with the one the host shows (ESXi console, or `openssl x509 -noout " +
        "-fingerprint -sha256` on the host's certificate), then run again with " +
        `--accept-thumbprint ${certificate.thumbprint}`,
    );
  }
}

/** The server presented a certificate other than the pinned one: possibly an interception. */
export class TlsCertificateChangedError extends SnapferryError {
  constructor(
    readonly server: string,
    readonly pinned: string,
    readonly certificate: CertificateInfo,
  ) {
    super(
      "tls-certificate-changed",
      `the certificate of ${server} has changed: Snapferry trusts ${pinned}, the server presented ` +
        `${certificate.thumbprint} (subject ${certificate.subject}). Someone may be intercepting ` +
        "the connection; nothing was sent",
      "If the host's certificate was renewed or replaced on purpose, check the new thumbprint on the " +
        `host and accept it explicitly with --accept-thumbprint ${certificate.thumbprint}; otherwise ` +
        "do not connect and check the network path to the host.",
    );
  }
}
