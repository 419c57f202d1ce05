/** Append-only mode from the doors (CLI, app): each call opens the repository with its password. */
import {
  appendOnlyStatus,
  relockAppendOnly,
  setAppendOnly,
  unlockAppendOnly,
  type AppendOnlyStatus,
} from "../repository/append-only.js";
import { Repository } from "../repository/repository.js";
import type { RepoRef } from "./repository-service.js";

export type AppendOnlyCommand =
  { action: "on" | "off" | "relock" | "status" } | { action: "unlock"; minutes: number };

export async function appendOnly(
  request: RepoRef & { command: AppendOnlyCommand },
): Promise<AppendOnlyStatus> {
  // Opening unwraps the key with the password: every change below is proof that it was given.
  const repo = await Repository.open(request.repo, request.password);
  const lock = await repo.lock("exclusive", `append-only ${request.command.action}`);
  try {
    const { command } = request;
    if (command.action === "on" || command.action === "off")
      await setAppendOnly(repo, command.action === "on");
    else if (command.action === "unlock") await unlockAppendOnly(repo, command.minutes);
    else if (command.action === "relock") await relockAppendOnly(repo);
    // Read back through a fresh open: the config may just have changed.
    return await appendOnlyStatus(await Repository.open(request.repo, request.password));
  } finally {
    await lock.release();
  }
}
