/** What the app reads at start, and the event subscription it keeps while open. */
import { getApi } from "../api/current";
import { useAppStore } from "../stores/app-store";
import { useRepositoriesStore } from "../stores/repositories-store";
import { useRestorePointsStore } from "../stores/restore-points-store";
import { useRunsStore } from "../stores/runs-store";
import { useSourcesStore } from "../stores/sources-store";
import { refreshOnRun } from "./refresh-on-run";

/** Starts loading everything and listening; returns the unsubscribe. */
export function bootstrap(): () => void {
  const unsubscribe = useRunsStore.getState().listen();
  const unsubscribeRefresh = getApi().subscribe(refreshOnRun);
  void useAppStore.getState().load();
  void useRunsStore.getState().load();
  void useSourcesStore.getState().load();
  void useRepositoriesStore
    .getState()
    .load()
    .then(() => {
      const { load } = useRestorePointsStore.getState();
      for (const repo of useRepositoriesStore.getState().repositories) void load(repo.repositoryId);
    });
  return () => {
    unsubscribe();
    unsubscribeRefresh();
  };
}
