/**
 * How the CLI logs in to vSphere: --user (or SNAPFERRY_VSPHERE_USER), --accept-thumbprint for a
 * certificate seen for the first time, and the password from SNAPFERRY_VSPHERE_PASSWORD, the OS
 * keychain, or a prompt on a terminal, in that order.
 */
import { UsageError } from "../common/errors.js";
import { connectVsphere } from "../services/vsphere-connection.js";
import { resolveVspherePassword } from "../sources/vsphere/credential-store.js";
import { KeychainCredentialStore } from "../sources/vsphere/keychain-credential-store.js";
import type { VimClient } from "../sources/vsphere/vim-client.js";
import type { VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import { str, type CommandContext } from "./command.js";
import { promptHidden } from "./password.js";

export const vsphereLoginOptions = {
  user: { type: "string" },
  "accept-thumbprint": { type: "string" },
} as const;

export function vsphereUser(ctx: CommandContext): string {
  const user = str(ctx, "user") ?? process.env.SNAPFERRY_VSPHERE_USER;
  if (!user) {
    throw new UsageError(
      "--user is required for vSphere",
      "Give the vCenter or ESXi user with --user USER (or SNAPFERRY_VSPHERE_USER).",
    );
  }
  return user;
}

export async function connectFromCli(location: VsphereLocation, ctx: CommandContext): Promise<VimClient> {
  const user = vsphereUser(ctx);
  const accept = str(ctx, "accept-thumbprint");
  return connectVsphere({
    host: location.host,
    port: location.port,
    server: location.server,
    user,
    ...(accept ? { acceptThumbprint: accept } : {}),
    password: async () => {
      const resolved = await resolveVspherePassword({
        server: location.server,
        user,
        env: process.env,
        store: new KeychainCredentialStore(),
        ...(process.stdin.isTTY ? { prompt: promptHidden } : {}),
      });
      return resolved.password;
    },
  });
}
