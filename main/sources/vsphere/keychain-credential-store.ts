/**
 * The production CredentialStore: the OS keychain through @napi-rs/keyring (macOS Keychain,
 * Windows Credential Manager, the Secret Service on Linux). keytar, which the app was first
 * specified with, is archived upstream; this binding reaches the same keychains.
 */
import { AsyncEntry, type EntryOptions } from "@napi-rs/keyring";
import {
  CredentialStoreUnavailableError,
  VSPHERE_PASSWORD_VARIABLE,
  type CredentialStore,
} from "./credential-store.js";

/**
 * On Linux the binding would otherwise fall back to the kernel keyring, which forgets everything at
 * reboot: a password the user asked us to remember would vanish without a word. Requiring the
 * Secret Service makes its absence an error we can explain.
 */
const ENTRY_OPTIONS: EntryOptions = { linux: { store: "secret-service" } };

export class KeychainCredentialStore implements CredentialStore {
  constructor(private readonly platform: NodeJS.Platform = process.platform) {}

  async get(service: string, account: string): Promise<string | undefined> {
    return (await this.use(service, account, (entry) => entry.getPassword())) ?? undefined;
  }

  async set(service: string, account: string, secret: string): Promise<void> {
    await this.use(service, account, (entry) => entry.setPassword(secret), secret);
  }

  async delete(service: string, account: string): Promise<boolean> {
    return this.use(service, account, (entry) => entry.deleteCredential());
  }

  private async use<T>(
    service: string,
    account: string,
    operation: (entry: AsyncEntry) => Promise<T>,
    secret?: string,
  ): Promise<T> {
    try {
      return await operation(new AsyncEntry(service, account, ENTRY_OPTIONS));
    } catch (err) {
      throw this.unavailable(err, secret);
    }
  }

  private unavailable(err: unknown, secret: string | undefined): CredentialStoreUnavailableError {
    const detail = withoutSecret(err instanceof Error ? err.message : String(err), secret);
    return new CredentialStoreUnavailableError(
      `the OS keychain is not available: ${detail}`,
      keychainHint(this.platform),
    );
  }
}

/** Belt and braces: no platform message is known to echo the secret, and none ever may. */
function withoutSecret(message: string, secret: string | undefined): string {
  return secret ? message.split(secret).join("(hidden)") : message;
}

function keychainHint(platform: NodeJS.Platform): string {
  const otherWays = `or give the password another way (${VSPHERE_PASSWORD_VARIABLE} or typing it when asked).`;
  if (platform === "darwin") return `Unlock your login keychain in Keychain Access, ${otherWays}`;
  if (platform === "win32") {
    return `Check that Windows Credential Manager works for your account, ${otherWays}`;
  }
  return `Snapferry keeps passwords in the Secret Service (GNOME Keyring, KWallet or KeePassXC). Start and unlock one in your session, ${otherWays}`;
}
