/**
 * Every failure a user can see is a SnapferryError: a code that programs can branch on, a message
 * that says what went wrong, and a hint that says what to do about it.
 */
export type ErrorCode =
  | "usage"
  | "wrong-password"
  | "repository-not-found"
  | "repository-exists"
  | "repository-format"
  | "repository-locked"
  | "append-only"
  | "corrupt-data"
  | "disk-full"
  | "source"
  | "image-format"
  | "target"
  | "not-found"
  | "cancelled"
  | "network"
  | "keychain-unavailable"
  | "config"
  | "tls-unknown-certificate"
  | "tls-certificate-changed"
  | "vsphere-login"
  | "vsphere-permission"
  | "vsphere-license"
  | "vsphere-power-state"
  | "vsphere-busy"
  | "vsphere-timeout"
  | "vsphere-fault"
  | "vsphere-protocol"
  | "internal";

export class SnapferryError extends Error {
  override readonly name = "SnapferryError";
  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly hint?: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export class UsageError extends SnapferryError {
  constructor(message: string, hint?: string) {
    super("usage", message, hint);
  }
}

export class WrongPasswordError extends SnapferryError {
  constructor(repository: string) {
    super(
      "wrong-password",
      `wrong password for repository ${repository}`,
      "Check the password (SNAPFERRY_PASSWORD or --password-file); nothing was written.",
    );
  }
}

export class CorruptDataError extends SnapferryError {
  constructor(message: string, hint = "Run `snapferry check --read-data` to see what is affected.") {
    super("corrupt-data", message, hint);
  }
}

/** What to do when the repository's disk is full; a restore target's disk needs other advice. */
const REPOSITORY_FULL_HINT =
  "Free space there (forget and prune old restore points, or use a larger disk), then run the command again; nothing half-written was kept.";

export class DiskFullError extends SnapferryError {
  constructor(path: string, cause?: unknown, hint = REPOSITORY_FULL_HINT) {
    super("disk-full", `no space left on the device holding ${path}`, hint, { cause });
  }
}

export class CancelledError extends SnapferryError {
  constructor(what: string, hint?: string) {
    super("cancelled", `${what} was cancelled`, hint);
  }
}

/** Node's system errors carry a string code; this narrows `unknown` to them without `any`. */
export function errnoCode(err: unknown): string | undefined {
  if (typeof err === "object" && err !== null && "code" in err) {
    const code = (err as { code: unknown }).code;
    return typeof code === "string" ? code : undefined;
  }
  return undefined;
}

/** Turns ENOSPC into a DiskFullError that names the place; other errors pass through unchanged. */
export function explainIoError(err: unknown, path: string, diskFullHint?: string): unknown {
  const code = errnoCode(err);
  if (code === "ENOSPC" || code === "EDQUOT") return new DiskFullError(path, err, diskFullHint);
  return err;
}
