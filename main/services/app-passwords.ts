/**
 * Where the app gets passwords: the one given in the call, else the OS keychain (CredentialStore).
 * When neither has one, the call fails with an error whose details say which password to ask
 * for, and the UI asks. A password is saved only when the user ticked "remember", and never
 * anywhere but the keychain: not the catalog, not a log line, not an event.
 */
import { SnapferryError } from "../common/errors.js";
import type { PasswordProvider } from "../repository/repository.js";
import {
  CredentialStoreUnavailableError,
  type CredentialStore,
} from "../sources/vsphere/credential-store.js";
import { DetailedError } from "./app-errors.js";

const REPOSITORY_SERVICE = "snapferry-repository";
const PROBE_SERVICE = "snapferry-keychain-check";

export type KeychainState = "available" | "unavailable";

export interface RepositoryIdentity {
  repositoryId: string;
  path: string;
  encryption: "aes256gcm" | "none";
}

export class AppPasswords {
  constructor(
    private readonly credentials: CredentialStore,
    private readonly log: (message: string) => void,
  ) {}

  /** Whether the keychain answers here; an unusable one means the UI must ask every time. */
  async keychainState(): Promise<KeychainState> {
    try {
      await this.credentials.get(PROBE_SERVICE, "check");
      return "available";
    } catch (err) {
      if (err instanceof CredentialStoreUnavailableError) return "unavailable";
      throw err;
    }
  }

  /** The secret stored for SERVICE/ACCOUNT; undefined when none is, or the keychain is unusable. */
  async stored(service: string, account: string): Promise<string | undefined> {
    try {
      return await this.credentials.get(service, account);
    } catch (err) {
      if (!(err instanceof CredentialStoreUnavailableError)) throw err;
      this.log(`keychain: ${err.message}`);
      return undefined;
    }
  }

  /**
   * Saves (or, when the user unticked "remember", removes) a secret. Returns whether it is saved:
   * an unusable keychain is not a failure of the action itself, only of remembering.
   */
  async keep(service: string, account: string, secret: string, remember: boolean): Promise<boolean> {
    try {
      if (remember) await this.credentials.set(service, account, secret);
      else await this.credentials.delete(service, account);
      return remember;
    } catch (err) {
      if (!(err instanceof CredentialStoreUnavailableError)) throw err;
      this.log(`keychain: ${err.message}`);
      return false;
    }
  }

  async drop(service: string, account: string): Promise<void> {
    try {
      await this.credentials.delete(service, account);
    } catch (err) {
      if (!(err instanceof CredentialStoreUnavailableError)) throw err;
    }
  }

  repositorySaved(repositoryId: string): Promise<boolean> {
    return this.stored(REPOSITORY_SERVICE, repositoryId).then((p) => p !== undefined);
  }

  rememberRepository(repositoryId: string, password: string, remember: boolean): Promise<boolean> {
    return this.keep(REPOSITORY_SERVICE, repositoryId, password, remember);
  }

  forgetRepository(repositoryId: string): Promise<void> {
    return this.drop(REPOSITORY_SERVICE, repositoryId);
  }

  /**
   * The password provider to open REPO with: the given password, else the saved one. Undefined for
   * an unencrypted repository. Throws a "wrong-password" error the UI answers by asking.
   */
  async forRepository(repo: RepositoryIdentity, given: string | undefined): Promise<RepositoryPassword> {
    if (repo.encryption === "none") return { provider: undefined, source: "none" };
    if (given !== undefined) return { provider: async () => given, source: "given" };
    const saved = await this.stored(REPOSITORY_SERVICE, repo.repositoryId);
    if (saved !== undefined) return { provider: async () => saved, source: "keychain" };
    throw new DetailedError(
      "wrong-password",
      `repository ${repo.path} is encrypted and needs its password`,
      "Type the repository's password. Tick “Remember” to keep it in the OS keychain.",
      { repositoryId: repo.repositoryId, field: "password", reason: "missing" },
    );
  }
}

export interface RepositoryPassword {
  provider: PasswordProvider | undefined;
  source: "given" | "keychain" | "none";
}

/**
 * Repository.open's wrong-password error speaks of the CLI's ways to give a password; in the app
 * the user types it again (and a saved one that no longer works is named as such).
 */
export function explainWrongPassword(err: unknown, repo: RepositoryIdentity, source: string): unknown {
  if (!(err instanceof SnapferryError) || err.code !== "wrong-password" || err instanceof DetailedError) {
    return err;
  }
  return new DetailedError(
    "wrong-password",
    source === "keychain"
      ? `the password saved in the keychain for repository ${repo.path} is wrong`
      : `wrong password for repository ${repo.path}`,
    "Type the repository's password again; nothing was written.",
    { repositoryId: repo.repositoryId, field: "password", reason: "wrong" },
  );
}
