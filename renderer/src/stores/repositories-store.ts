/** The repositories this machine knows, and their space statistics once asked for. */
import { create } from "zustand";
import type {
  ApiError,
  ApiInput,
  ApiResult,
  RepositoryStatsView,
  RepositoryView,
} from "../../../preload/contract";
import { call } from "../api/call";
import { sessionPassword } from "./passwords-store";
import { without } from "../lib/records";

interface RepositoriesState {
  repositories: RepositoryView[];
  loaded: boolean;
  error: ApiError | null;
  stats: Record<string, RepositoryStatsView>;
  statsErrors: Record<string, ApiError>;
  load(): Promise<void>;
  create(input: ApiInput<"repositories.create">): Promise<ApiResult<RepositoryView>>;
  open(input: ApiInput<"repositories.open">): Promise<ApiResult<RepositoryView>>;
  forget(repositoryId: string): Promise<ApiResult<{ removed: boolean }>>;
  loadStats(repositoryId: string): Promise<void>;
}

export const useRepositoriesStore = create<RepositoriesState>()((set, get) => ({
  repositories: [],
  loaded: false,
  error: null,
  stats: {},
  statsErrors: {},
  async load() {
    const result = await call("repositories.list", {});
    set(result.ok ? { repositories: result.value, loaded: true, error: null } : { error: result.error });
  },
  async create(input) {
    const result = await call("repositories.create", input);
    if (result.ok) set((s) => ({ repositories: upsert(s.repositories, result.value) }));
    return result;
  },
  async open(input) {
    const result = await call("repositories.open", input);
    if (result.ok) set((s) => ({ repositories: upsert(s.repositories, result.value) }));
    return result;
  },
  async forget(repositoryId) {
    const result = await call("repositories.forget", { repositoryId });
    if (result.ok) await get().load();
    return result;
  },
  async loadStats(repositoryId) {
    const result = await call("repositories.stats", { repositoryId, ...sessionPassword(repositoryId) });
    set((s) => {
      const statsErrors = without(s.statsErrors, repositoryId);
      if (result.ok) return { stats: { ...s.stats, [repositoryId]: result.value }, statsErrors };
      return { statsErrors: { ...statsErrors, [repositoryId]: result.error } };
    });
  },
}));

function upsert(list: RepositoryView[], repo: RepositoryView): RepositoryView[] {
  const others = list.filter((r) => r.repositoryId !== repo.repositoryId);
  return [...others, repo].sort((a, b) => a.name.localeCompare(b.name));
}

/** An encrypted repository whose password is neither in the keychain nor typed this session. */
export function needsPassword(repo: RepositoryView, typed: Record<string, string>): boolean {
  return repo.encryption !== "none" && !repo.passwordSaved && !typed[repo.repositoryId];
}
