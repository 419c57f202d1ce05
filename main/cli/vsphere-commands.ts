/** `snapferry vsphere SUBCOMMAND`: commands about an ESXi host or vCenter itself (now: inventory). */
import { UsageError } from "../common/errors.js";
import { parseVsphereUrl, type VsphereLocation } from "../sources/vsphere/vsphere-url.js";
import { str, type Command, type CommandContext } from "./command.js";
import { connectFromCli, vsphereLoginOptions } from "./vsphere-login.js";

const INVENTORY_USAGE =
  "vsphere inventory --server HOST[:PORT] --user USER [--accept-thumbprint SHA256] [--json]";

export const vsphereCommands: Record<string, Command> = {
  vsphere: {
    summary: "an ESXi host's or vCenter's inventory, with each VM's snapshot chain health",
    usage: INVENTORY_USAGE,
    options: { ...vsphereLoginOptions, server: { type: "string" }, json: { type: "boolean" } },
    async run(ctx) {
      const [subcommand, ...extra] = ctx.positionals;
      if (subcommand !== "inventory") {
        throw new UsageError(
          subcommand === undefined
            ? "vsphere needs a subcommand"
            : `unknown vsphere subcommand "${subcommand}"`,
          `usage: snapferry ${INVENTORY_USAGE}`,
        );
      }
      if (extra.length > 0) throw new UsageError(`unexpected argument "${extra.join(" ")}"`);
      await inventory(ctx);
    },
  },
};

async function inventory(ctx: CommandContext): Promise<void> {
  const location = serverOf(ctx);
  const client = await connectFromCli(location, ctx);
  try {
    const result = await (
      await import("../services/vsphere-service.js")
    ).vsphereInventory(client, new Date(), { signal: ctx.signal });
    if (ctx.out.json) ctx.out.object(result);
    else {
      const { inventoryText } = await import("./vsphere-inventory-text.js");
      for (const line of inventoryText(result)) ctx.out.line(line);
    }
  } finally {
    await client.close();
  }
}

function serverOf(ctx: CommandContext): VsphereLocation {
  const server = str(ctx, "server");
  const what = "--server HOST or HOST:PORT (an ESXi host or a vCenter)";
  if (!server) throw new UsageError("--server is required", `Give ${what}.`);
  const location = parseVsphereUrl(`vsphere://${server}`, what);
  if (location.path.length > 0 || server.includes("/")) {
    throw new UsageError(`--server takes a host and port, not a path: "${server}"`, `Give ${what}.`);
  }
  return location;
}
