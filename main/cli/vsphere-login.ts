/**
 * How the CLI logs in to vSphere: --user (or SNAPFERRY_VSPHERE_USER), --accept-thumbprint for a
 * certificate seen for the first time, and the password from SNAPFERRY_VSPHERE_PASSWORD, the OS
 * keychain, or a prompt on a terminal, in that order.
 */
import { UsageError } from "../common/errors.js";
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
  return (await import("../services/vsphere-connection.js")).connectVsphere({
    location,
    user,
    ...(accept ? { acceptThumbprint: accept } : {}),
    password: async () => {
      const resolved = await (
        await import("../sources/vsphere/credential-store.js")
      ).resolveVspherePassword({
        server: location.server,
        user,
        env: process.env,
        store: new (
          await import("../sources/vsphere/keychain-credential-store.js")
        ).KeychainCredentialStore(),
        ...(process.stdin.isTTY ? { prompt: promptHidden } : {}),
      });
      return resolved.password;
    },
  });
}
