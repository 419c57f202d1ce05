/** What the user is looking at: the screen, the selected and checked VMs, the search, the dialog. */
import { create } from "zustand";
import { without } from "../lib/records";

export type Screen = "dashboard" | "jobs" | "inventory" | "repositories" | "history" | "settings";

/** A message from main outside any run (AppEvent "notice"), shown until dismissed. */
export interface Notice {
  id: number;
  level: "info" | "warn";
  message: string;
}

/** Older notices give way: a flood (a flapping USB disk) must not cover the screen. */
const MAX_NOTICES = 3;

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
  notices: Notice[];
  go(screen: Screen): void;
  setSearch(search: string): void;
  toggleExpanded(rowId: string, open?: boolean): void;
  selectVm(key: string | null): void;
  toggleChecked(key: string): void;
  clearChecked(): void;
  selectRun(runId: string | null): void;
  openDialog(dialog: Dialog): void;
  notify(level: Notice["level"], message: string): void;
  dismissNotice(id: number): void;
}

let nextNoticeId = 1;

export const useUiStore = create<UiState>()((set) => ({
  screen: "dashboard",
  search: "",
  expanded: {},
  selectedVm: null,
  checked: {},
  selectedRun: null,
  dialog: null,
  notices: [],
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
  notify: (level, message) =>
    set((s) => ({ notices: [...s.notices, { id: nextNoticeId++, level, message }].slice(-MAX_NOTICES) })),
  dismissNotice: (id) => set((s) => ({ notices: s.notices.filter((n) => n.id !== id) })),
}));
