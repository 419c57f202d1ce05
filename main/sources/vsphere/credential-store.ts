/**
 * Where vSphere passwords come from. The production store is the OS keychain
 * (keychain-credential-store.ts); this module holds the interface, an in-memory store for tests of
 * callers, and the order in which a password is looked for. A secret never appears in an error
 * message, a log line, argv or a file of ours.
 */
import { SnapferryError, UsageError } from "../../common/errors.js";
import { serverKey } from "./server-key.js";

export interface CredentialStore {
  /** The secret, or undefined when none is stored. */
  get(service: string, account: string): Promise<string | undefined>;
  set(service: string, account: string, secret: string): Promise<void>;
  /** True when a secret was removed, false when there was none. */
  delete(service: string, account: string): Promise<boolean>;
}

/** A store that cannot be used on this machine (no keychain service, a locked keychain). */
export class CredentialStoreUnavailableError extends SnapferryError {
  constructor(message: string, hint: string, cause?: unknown) {
    super("keychain-unavailable", message, hint, { cause });
  }
}

/** For tests of callers, and for a session that must not persist anything. */
export class MemoryCredentialStore implements CredentialStore {
  // A private field, so util.inspect and console.log of the store never print the secrets.
  readonly #secrets = new Map<string, string>();

  async get(service: string, account: string): Promise<string | undefined> {
    return this.#secrets.get(entryKey(service, account));
  }

  async set(service: string, account: string, secret: string): Promise<void> {
    this.#secrets.set(entryKey(service, account), secret);
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.#secrets.delete(entryKey(service, account));
  }
}

function entryKey(service: string, account: string): string {
  return JSON.stringify([service, account]);
}

export const VSPHERE_PASSWORD_VARIABLE = "SNAPFERRY_VSPHERE_PASSWORD";

/** The keychain service under which a server's passwords are kept: one entry per user name. */
export function vsphereCredentialService(server: string): string {
  return `snapferry-vsphere:${serverKey(server)}`;
}

/** Asks the person at the terminal and resolves what they typed, without echoing it. */
export type PasswordPrompt = (question: string) => Promise<string>;

export interface VspherePasswordRequest {
  server: string;
  user: string;
  env?: NodeJS.ProcessEnv;
  /** Omitted where no keychain is wanted. */
  store?: CredentialStore;
  /** Omitted where nobody can answer (no terminal): then a missing password is an error. */
  prompt?: PasswordPrompt;
}

export type PasswordSource = "environment" | "keychain" | "prompt";

export interface ResolvedPassword {
  password: string;
  source: PasswordSource;
  /** Why the keychain could not be asked, so the caller can say so instead of failing silently. */
  keychainUnavailable?: CredentialStoreUnavailableError;
}

/**
 * Finds the password for USER on SERVER: SNAPFERRY_VSPHERE_PASSWORD first (scripts), then the
 * keychain, then a prompt. An unusable keychain is not fatal: the user can still type the password.
 */
export async function resolveVspherePassword(request: VspherePasswordRequest): Promise<ResolvedPassword> {
  const fromEnv = (request.env ?? process.env)[VSPHERE_PASSWORD_VARIABLE];
  if (fromEnv) return { password: fromEnv, source: "environment" };
  const service = vsphereCredentialService(request.server);
  let keychainUnavailable: CredentialStoreUnavailableError | undefined;
  try {
    const stored = await request.store?.get(service, request.user);
    if (stored) return { password: stored, source: "keychain" };
  } catch (err) {
    if (!(err instanceof CredentialStoreUnavailableError)) throw err;
    keychainUnavailable = err;
  }
  if (!request.prompt) throw noPassword(request, service, keychainUnavailable);
  const typed = await request.prompt(`Password for ${request.user} on ${serverKey(request.server)}: `);
  if (typed === "") throw new UsageError("the password is empty");
  return keychainUnavailable
    ? { password: typed, source: "prompt", keychainUnavailable }
    : { password: typed, source: "prompt" };
}

function noPassword(
  request: VspherePasswordRequest,
  service: string,
  keychainUnavailable: CredentialStoreUnavailableError | undefined,
): UsageError {
  const keychain = keychainUnavailable
    ? `the OS keychain, which cannot be used here (${keychainUnavailable.message})`
    : `the OS keychain (service "${service}", account "${request.user}")`;
  return new UsageError(
    `no password for ${request.user} on ${serverKey(request.server)}`,
    `Give it in one of three ways: set ${VSPHERE_PASSWORD_VARIABLE}; store it in ${keychain}; or run on a terminal and type it when asked.`,
  );
}
