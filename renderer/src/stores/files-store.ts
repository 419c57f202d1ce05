/**
 * The file browser's session: one disk of a restore point opened in main (files.open), its folder
 * tree loaded lazily (a folder's children are listed the first time it is expanded or shown), the
 * folder shown, the ticked items, and a search. Paths are "N:/folder" (partition N), as main takes.
 */
import { create } from "zustand";
import type { ApiError, FileEntryView, FilesSessionView } from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "./passwords-store";

export interface FilesSession extends FilesSessionView {
  repositoryId: string;
  restorePointId: string;
  disk: number;
}

export type Listing =
  | { status: "loading" }
  | { status: "ready"; entries: FileEntryView[] }
  | { status: "error"; error: ApiError };

export interface SearchState {
  query: string;
  partition: number;
  status: "loading" | "ready" | "error";
  results: FileEntryView[];
  error: ApiError | null;
}

interface FilesState {
  session: FilesSession | null;
  opening: boolean;
  openError: ApiError | null;
  /** Listings by folder path ("1:/etc"). */
  listings: Record<string, Listing>;
  expanded: Record<string, boolean>;
  /** The folder whose files are shown. */
  folder: string | null;
  /** Ticked files and folders, by full path. */
  selected: string[];
  search: SearchState | null;
  open(repositoryId: string, restorePointId: string, disk: number): Promise<void>;
  load(folder: string): Promise<void>;
  toggleExpanded(folder: string): void;
  showFolder(folder: string): void;
  toggleSelected(path: string): void;
  setSelected(paths: string[]): void;
  runSearch(partition: number, query: string): Promise<void>;
  clearSearch(): void;
  close(): Promise<void>;
}

/** "1:/etc" + "/etc/hosts" entry path → "1:/etc/hosts". */
export function fullPath(partition: number, entryPath: string): string {
  return `${partition}:${entryPath.startsWith("/") ? entryPath : `/${entryPath}`}`;
}

export function partitionOf(path: string): number {
  return Number(/^(\d+):/.exec(path)?.[1] ?? 0);
}

const FIRST = {
  session: null,
  opening: false,
  openError: null,
  listings: {},
  expanded: {},
  folder: null,
  selected: [],
  search: null,
};

export const useFilesStore = create<FilesState>()((set, get) => ({
  ...FIRST,
  async open(repositoryId, restorePointId, disk) {
    await get().close();
    set({ ...FIRST, opening: true });
    const result = await call("files.open", {
      repositoryId,
      restorePointId,
      disk,
      ...sessionPassword(repositoryId),
    });
    if (!result.ok) {
      set({ opening: false, openError: result.error });
      return;
    }
    const session = { ...result.value, repositoryId, restorePointId, disk };
    const first = session.partitions[0];
    set({ opening: false, session, folder: first ? `${first.number}:/` : null });
    if (first) await get().load(`${first.number}:/`);
  },
  async load(folder) {
    const session = get().session;
    const current = get().listings[folder];
    if (!session || current?.status === "loading" || current?.status === "ready") return;
    set((s) => ({ listings: { ...s.listings, [folder]: { status: "loading" } } }));
    const result = await call("files.list", { sessionId: session.sessionId, path: folder });
    const next: Listing = result.ok
      ? { status: "ready", entries: result.value }
      : { status: "error", error: result.error };
    set((s) => ({ listings: { ...s.listings, [folder]: next } }));
  },
  toggleExpanded(folder) {
    const open = !get().expanded[folder];
    set((s) => ({ expanded: { ...s.expanded, [folder]: open } }));
    if (open) void get().load(folder);
  },
  showFolder(folder) {
    set({ folder, search: null });
    void get().load(folder);
  },
  toggleSelected(path) {
    set((s) => ({
      selected: s.selected.includes(path) ? s.selected.filter((p) => p !== path) : [...s.selected, path],
    }));
  },
  setSelected: (selected) => set({ selected }),
  async runSearch(partition, query) {
    const session = get().session;
    if (!session || !query.trim()) return;
    set({ search: { query, partition, status: "loading", results: [], error: null } });
    const result = await call("files.search", {
      sessionId: session.sessionId,
      partition,
      query: query.trim(),
    });
    if (get().search?.query !== query) return;
    set({
      search: result.ok
        ? { query, partition, status: "ready", results: result.value, error: null }
        : { query, partition, status: "error", results: [], error: result.error },
    });
  },
  clearSearch: () => set({ search: null }),
  async close() {
    const session = get().session;
    set({ ...FIRST });
    // Main closes idle sessions itself; this only frees the temp files sooner.
    if (session) await call("files.close", { sessionId: session.sessionId });
  },
}));
