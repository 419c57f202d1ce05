/** `snapferry append-only`: ransomware protection for a repository (see repository/append-only.ts). */
import { UsageError } from "../common/errors.js";
import { common, count, repoOf, type Command } from "./command.js";
import type { AppendOnlyCommand } from "../services/append-only-service.js";

export const appendOnlyCommands: Record<string, Command> = {
  "append-only": {
    summary: "turn append-only mode on or off, unlock it for a while to prune, or show its log",
    usage: "append-only --repo DIR on|off|status|relock|unlock [--minutes N] [--json]",
    options: { ...common, minutes: { type: "string" } },
    async run(ctx) {
      const [action, ...rest] = ctx.positionals;
      if (rest.length > 0) throw new UsageError("append-only takes one action");
      let command: AppendOnlyCommand;
      if (action === "unlock") command = { action, minutes: count(ctx, "minutes") ?? 60 };
      else if (action === "on" || action === "off" || action === "relock" || action === "status")
        command = { action };
      else
        throw new UsageError("append-only needs an action", "Give one of on, off, status, relock, unlock.");
      const { appendOnly } = await import("../services/append-only-service.js");
      const status = await appendOnly({ ...repoOf(ctx), command });
      if (ctx.out.json) {
        ctx.out.object(status);
        return;
      }
      for (const e of status.log.slice(-10)) {
        ctx.out.line(
          `${e.time}  ${e.action.padEnd(7)} ${e.user}@${e.host} (pid ${e.pid})${e.detail ? `  ${e.detail}` : ""}`,
        );
      }
      ctx.out.line(
        !status.on
          ? "append-only mode is off: forget and prune are allowed"
          : status.unlockedUntil
            ? `append-only mode is on, unlocked until ${status.unlockedUntil}: forget and prune are allowed until then`
            : "append-only mode is on: restore points can be added, forget and prune are refused",
      );
    },
  },
};
