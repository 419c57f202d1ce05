/** Puts every store back to its first state: tests start from a clean app. */
import type { StoreApi } from "zustand";
import { useAppStore } from "./app-store";
import { useDashboardStore } from "./dashboard-store";
import { useFilesStore } from "./files-store";
import { useInstantStore } from "./instant-store";
import { useJobsStore } from "./jobs-store";
import { usePasswordsStore } from "./passwords-store";
import { useRepositoriesStore } from "./repositories-store";
import { useRestorePointsStore } from "./restore-points-store";
import { useRunsStore } from "./runs-store";
import { useSettingsStore } from "./settings-store";
import { useSourcesStore } from "./sources-store";
import { useUiStore } from "./ui-store";

function resetter<T>(store: StoreApi<T>): () => void {
  const first = store.getState();
  return () => store.setState(first, true);
}

const resetters = [
  resetter(useAppStore),
  resetter(useDashboardStore),
  resetter(useFilesStore),
  resetter(useInstantStore),
  resetter(useJobsStore),
  resetter(usePasswordsStore),
  resetter(useRepositoriesStore),
  resetter(useRestorePointsStore),
  resetter(useRunsStore),
  resetter(useSettingsStore),
  resetter(useSourcesStore),
  resetter(useUiStore),
];

export function resetStores(): void {
  for (const reset of resetters) reset();
}
