/** Inventory: the searchable tree of every source's VMs beside the selected VM's details. */
import { useMemo } from "react";
import { EmptyState } from "../../components/empty-state";
import { allVmItems, useSourcesStore } from "../../stores/sources-store";
import { useUiStore } from "../../stores/ui-store";
import { InventoryTree } from "./inventory-tree";
import { SourceProblems } from "./source-problems";
import { VmDetailsPane } from "./vm-details";

export function InventoryScreen() {
  const sources = useSourcesStore((s) => s.sources);
  const loaded = useSourcesStore((s) => s.loaded);
  const inventories = useSourcesStore((s) => s.inventories);
  const load = useSourcesStore((s) => s.load);
  const loadInventory = useSourcesStore((s) => s.loadInventory);
  const { search, setSearch, selectedVm, checked, openDialog, go } = useUiStore();
  const vms = useMemo(() => allVmItems(inventories), [inventories]);
  const selected = vms.find((vm) => vm.key === selectedVm);
  const checkedKeys = Object.keys(checked).filter((key) => vms.some((vm) => vm.key === key));

  if (loaded && sources.length === 0) {
    return (
      <EmptyState
        title="No sources yet"
        action={
          <button type="button" className="primary" onClick={() => go("settings")}>
            Add a source
          </button>
        }
      >
        Add a vCenter or ESXi server, or a local VM folder or disk image, to see its VMs here.
      </EmptyState>
    );
  }
  return (
    <div className="inventory">
      <div className="toolbar">
        <input
          type="search"
          aria-label="Search VMs"
          placeholder={`Search ${vms.length} VMs`}
          value={search}
          onChange={(e) => setSearch(e.target.value)}
        />
        <button
          type="button"
          className="primary"
          disabled={checkedKeys.length === 0}
          onClick={() => openDialog({ kind: "backup", vmKeys: checkedKeys })}
        >
          Back up {checkedKeys.length > 0 ? checkedKeys.length : ""} selected…
        </button>
        <button
          type="button"
          onClick={() => {
            void load();
            for (const s of sources) void loadInventory(s.id);
          }}
        >
          Refresh
        </button>
      </div>
      <SourceProblems />
      <div className="split">
        <div className="tree-pane">
          <InventoryTree />
          <p className="muted small">Arrow keys move, Enter opens, Space ticks a VM for backup.</p>
        </div>
        <div className="details-pane">
          {selected ? (
            <VmDetailsPane vm={selected} />
          ) : (
            <EmptyState title="No VM selected">
              Pick a VM in the tree to see its disks, snapshots and restore points.
            </EmptyState>
          )}
        </div>
      </div>
    </div>
  );
}
