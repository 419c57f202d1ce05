/** Every `snapferry` command, by name, in the order `snapferry --help` lists them. */
import { appendOnlyCommands } from "./append-only-commands.js";
import { backupCommands } from "./backup-commands.js";
import type { Command } from "./command.js";
import { copyCommands } from "./copy-commands.js";
import { fileCommands } from "./file-commands.js";
import { imageCommands } from "./image-commands.js";
import { jobCommands } from "./job-commands.js";
import { maintenanceCommands } from "./maintenance-commands.js";
import { verifyCommands } from "./verify-commands.js";
import { serveCommands } from "./serve-commands.js";
import { vsphereCommands } from "./vsphere-commands.js";

export type { Command, CommandContext } from "./command.js";

export const commands: Record<string, Command> = {
  ...backupCommands,
  ...maintenanceCommands,
  ...fileCommands,
  ...verifyCommands,
  ...copyCommands,
  ...appendOnlyCommands,
  ...jobCommands,
  ...imageCommands,
  ...vsphereCommands,
  ...serveCommands,
};
