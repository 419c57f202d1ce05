/** What the user is looking at: the screen, the selected and checked VMs, the search, the dialog. */
import { create } from "zustand";
import { without } from "../lib/records";

export type Screen = "inventory" | "repositories" | "history" | "settings";

export type Dialog =
  | { kind: "backup"; vmKeys: string[] }
  | { kind: "restore"; repositoryId?: string; restorePointId?: string }
  | null;

interface UiState {
  screen: Screen;
  search: string;
  /** Tree rows the user opened, by row id. */
  expanded: Record<string, boolean>;
  selectedVm: string | null;
  /** VMs ticked for a backup. */
  checked: Record<string, boolean>;
  selectedRun: string | null;
  dialog: Dialog;
  go(screen: Screen): void;
  setSearch(search: string): void;
  toggleExpanded(rowId: string, open?: boolean): void;
  selectVm(key: string | null): void;
  toggleChecked(key: string): void;
  clearChecked(): void;
  selectRun(runId: string | null): void;
  openDialog(dialog: Dialog): void;
}

export const useUiStore = create<UiState>()((set) => ({
  screen: "inventory",
  search: "",
  expanded: {},
  selectedVm: null,
  checked: {},
  selectedRun: null,
  dialog: null,
  go: (screen) => set({ screen }),
  setSearch: (search) => set({ search }),
  toggleExpanded: (rowId, open) =>
    set((s) => ({ expanded: { ...s.expanded, [rowId]: open ?? !s.expanded[rowId] } })),
  selectVm: (selectedVm) => set({ selectedVm }),
  toggleChecked: (key) =>
    set((s) => ({ checked: s.checked[key] ? without(s.checked, key) : { ...s.checked, [key]: true } })),
  clearChecked: () => set({ checked: {} }),
  selectRun: (selectedRun) => set({ selectedRun }),
  openDialog: (dialog) => set({ dialog }),
}));
