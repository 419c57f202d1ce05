/**
 * The inventory tree (role="tree"), virtualised: focus stays on the tree and the active row is
 * named by aria-activedescendant, so arrow keys work even for rows scrolled out of the DOM.
 */
import { useMemo, useState, type KeyboardEvent } from "react";
import { VirtualList } from "../../components/virtual-list";
import { sourceNode, visibleRows, type TreeRow } from "../../lib/inventory-tree";
import { useSourcesStore } from "../../stores/sources-store";
import { useUiStore } from "../../stores/ui-store";
import { InventoryTreeRow, rowDomId } from "./tree-row";

export const TREE_ROW_HEIGHT = 32;

export function InventoryTree({ fallbackHeight }: { fallbackHeight?: number }) {
  const sources = useSourcesStore((s) => s.sources);
  const inventories = useSourcesStore((s) => s.inventories);
  const { expanded, search, selectedVm, checked, toggleExpanded, selectVm, toggleChecked } = useUiStore();
  const roots = useMemo(() => sources.map((s) => sourceNode(s, inventories[s.id])), [sources, inventories]);
  const rows = useMemo(() => visibleRows(roots, expanded, search), [roots, expanded, search]);
  const [activeId, setActiveId] = useState<string | null>(null);
  const activeIndex = Math.max(
    0,
    rows.findIndex((r) => r.node.id === activeId),
  );
  const active = rows[activeIndex];

  const activate = (row: TreeRow) => {
    setActiveId(row.node.id);
    if (row.node.vm) selectVm(row.node.vm.key);
    else if (row.node.children.length > 0) toggleExpanded(row.node.id, !row.expanded);
  };
  const moveTo = (index: number) => {
    const row = rows[Math.min(rows.length - 1, Math.max(0, index))];
    if (row) setActiveId(row.node.id);
  };
  const onKeyDown = (event: KeyboardEvent) => {
    if (!active) return;
    const handled = handleKey(event.key, active, activeIndex, {
      rows,
      moveTo,
      activate,
      toggleExpanded,
      toggleChecked,
    });
    if (handled) event.preventDefault();
  };

  return (
    <VirtualList
      role="tree"
      aria-label="Inventory"
      aria-multiselectable="true"
      aria-activedescendant={active ? rowDomId(active.node.id) : undefined}
      tabIndex={0}
      className="inventory-tree"
      items={rows}
      rowHeight={TREE_ROW_HEIGHT}
      {...(fallbackHeight !== undefined ? { fallbackHeight } : {})}
      activeIndex={activeIndex}
      onKeyDown={onKeyDown}
      getKey={(row) => row.node.id}
      renderRow={(row) => (
        <InventoryTreeRow
          row={row}
          active={row === active}
          selected={row.node.vm !== undefined && row.node.vm.key === selectedVm}
          checked={row.node.vm !== undefined && checked[row.node.vm.key] === true}
          onActivate={() => activate(row)}
          onToggle={() => toggleExpanded(row.node.id, !row.expanded)}
          onCheck={() => row.node.vm && toggleChecked(row.node.vm.key)}
        />
      )}
    />
  );
}

interface KeyContext {
  rows: TreeRow[];
  moveTo(index: number): void;
  activate(row: TreeRow): void;
  toggleExpanded(id: string, open?: boolean): void;
  toggleChecked(key: string): void;
}

/** The WAI-ARIA tree pattern's keys. Returns whether the key was one of them. */
function handleKey(key: string, row: TreeRow, index: number, ctx: KeyContext): boolean {
  const expandable = row.node.children.length > 0;
  switch (key) {
    case "ArrowDown":
      ctx.moveTo(index + 1);
      return true;
    case "ArrowUp":
      ctx.moveTo(index - 1);
      return true;
    case "Home":
      ctx.moveTo(0);
      return true;
    case "End":
      ctx.moveTo(ctx.rows.length - 1);
      return true;
    case "ArrowRight":
      if (expandable && !row.expanded) ctx.toggleExpanded(row.node.id, true);
      else if (expandable) ctx.moveTo(index + 1);
      return true;
    case "ArrowLeft":
      if (expandable && row.expanded) ctx.toggleExpanded(row.node.id, false);
      else ctx.moveTo(ctx.rows.findIndex((r) => r.node.id === row.parentId));
      return true;
    case "Enter":
      ctx.activate(row);
      return true;
    case " ":
      if (row.node.vm) ctx.toggleChecked(row.node.vm.key);
      return true;
    default:
      return false;
  }
}
