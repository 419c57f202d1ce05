/** Puts every store back to its first state: tests start from a clean app. */
import type { StoreApi } from "zustand";
import { useAppStore } from "./app-store";
import { useFilesStore } from "./files-store";
import { useInstantStore } from "./instant-store";
import { usePasswordsStore } from "./passwords-store";
import { useRepositoriesStore } from "./repositories-store";
import { useRestorePointsStore } from "./restore-points-store";
import { useRunsStore } from "./runs-store";
import { useSourcesStore } from "./sources-store";
import { useUiStore } from "./ui-store";

function resetter<T>(store: StoreApi<T>): () => void {
  const first = store.getState();
  return () => store.setState(first, true);
}

const resetters = [
  resetter(useAppStore),
  resetter(useFilesStore),
  resetter(useInstantStore),
  resetter(usePasswordsStore),
  resetter(useRepositoriesStore),
  resetter(useRestorePointsStore),
  resetter(useRunsStore),
  resetter(useSourcesStore),
  resetter(useUiStore),
];

export function resetStores(): void {
  for (const reset of resetters) reset();
}
