/**
 * A finished run changes what other screens show: a backup adds a restore point, a prune removes
 * some, both change the space used. Re-read that repository's lists when one ends.
 */
import type { AppEvent } from "../../../preload/contract";
import { useRepositoriesStore } from "../stores/repositories-store";
import { useRestorePointsStore } from "../stores/restore-points-store";

export function refreshOnRun(event: AppEvent): void {
  if (event.type !== "run" || event.run.status === "running" || !event.run.repositoryId) return;
  if (event.run.kind === "restore") return;
  const repositoryId = event.run.repositoryId;
  void useRestorePointsStore.getState().load(repositoryId);
  void useRepositoriesStore.getState().loadStats(repositoryId);
}
