/** Sources (vCenter/ESXi servers, local folders and images) and the inventory read from each. */
import { create } from "zustand";
import type { CatalogSource } from "../../../main/catalog/catalog-api";
import type { ApiError, ApiInput, ApiResult, SourceInventory } from "../../../preload/contract";
import { call } from "../api/call";
import { vmItemsOf, type VmItem } from "../lib/vm-items";
import { sessionPassword } from "./passwords-store";
import { without } from "../lib/records";

export type InventoryState =
  | { status: "loading" }
  | { status: "ready"; inventory: SourceInventory; items: VmItem[] }
  | { status: "error"; error: ApiError };

interface SourcesState {
  sources: CatalogSource[];
  loaded: boolean;
  error: ApiError | null;
  inventories: Record<string, InventoryState>;
  load(): Promise<void>;
  loadInventory(sourceId: string): Promise<void>;
  addLocal(path: string): Promise<ApiResult<CatalogSource>>;
  addVsphere(input: ApiInput<"sources.addVsphere">): Promise<ApiResult<CatalogSource>>;
  remove(sourceId: string): Promise<ApiResult<{ removed: boolean }>>;
}

export const useSourcesStore = create<SourcesState>()((set, get) => ({
  sources: [],
  loaded: false,
  error: null,
  inventories: {},
  async load() {
    const result = await call("sources.list", {});
    if (!result.ok) {
      set({ error: result.error });
      return;
    }
    set({ sources: result.value, loaded: true, error: null });
    await Promise.all(
      result.value.filter((s) => !get().inventories[s.id]).map((s) => get().loadInventory(s.id)),
    );
  },
  async loadInventory(sourceId) {
    setInventory(set, sourceId, { status: "loading" });
    const result = await call("sources.inventory", { sourceId, ...sessionPassword(sourceId) });
    const source = get().sources.find((s) => s.id === sourceId);
    if (!source) return;
    setInventory(
      set,
      sourceId,
      result.ok
        ? { status: "ready", inventory: result.value, items: vmItemsOf(source, result.value) }
        : { status: "error", error: result.error },
    );
  },
  async addLocal(path) {
    const result = await call("sources.addLocal", { path });
    if (result.ok) await added(set, get, result.value);
    return result;
  },
  async addVsphere(input) {
    const result = await call("sources.addVsphere", input);
    if (result.ok) await added(set, get, result.value);
    return result;
  },
  async remove(sourceId) {
    const result = await call("sources.remove", { sourceId });
    if (result.ok) {
      set((s) => ({
        sources: s.sources.filter((x) => x.id !== sourceId),
        inventories: without(s.inventories, sourceId),
      }));
    }
    return result;
  },
}));

type Set = (fn: (s: SourcesState) => Partial<SourcesState>) => void;

function setInventory(set: Set, sourceId: string, state: InventoryState): void {
  set((s) => ({ inventories: { ...s.inventories, [sourceId]: state } }));
}

async function added(set: Set, get: () => SourcesState, source: CatalogSource): Promise<void> {
  set((s) => ({ sources: [...s.sources.filter((x) => x.id !== source.id), source] }));
  await get().loadInventory(source.id);
}

/** Every VM of every loaded inventory. */
export function allVmItems(inventories: Record<string, InventoryState>): VmItem[] {
  return Object.values(inventories).flatMap((state) => (state.status === "ready" ? state.items : []));
}
