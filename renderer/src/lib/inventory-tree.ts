/**
 * The inventory as the tree the user browses: source → (vSphere) datacenter → cluster → host → VM,
 * or source → VM for local folders and images, flattened into the visible rows a virtual list
 * draws. A search shows the VMs whose name matches, with their ancestors opened.
 */
import type { CatalogSource } from "../../../main/catalog/catalog-api";
import type { InventoryNode } from "../../../main/sources/vsphere/inventory-types";
import type { Wire } from "../../../preload/contract";
import type { InventoryState } from "../stores/sources-store";
import type { VmItem } from "./vm-items";

export type NodeKind = "source" | InventoryNode["kind"] | "status";

export interface TreeNode {
  id: string;
  kind: NodeKind;
  label: string;
  /** A short note beside the label: "disconnected", "loading…". */
  note?: string;
  vm?: VmItem;
  children: TreeNode[];
}

export interface TreeRow {
  node: TreeNode;
  depth: number;
  expanded: boolean;
  parentId: string | null;
  /** 1-based position among its siblings, and their count, for aria-posinset/aria-setsize. */
  position: number;
  siblings: number;
}

export function sourceNode(source: CatalogSource, state: InventoryState | undefined): TreeNode {
  const id = `source:${source.id}`;
  const base = { id, kind: "source" as const, label: source.name };
  if (!state || state.status === "loading") {
    return { ...base, note: "reading inventory…", children: [] };
  }
  if (state.status === "error") return { ...base, note: "could not be read", children: [] };
  const byPath = new Map(state.items.map((item) => [item.backupPath ?? item.key, item]));
  if (state.inventory.kind === "local") {
    return {
      ...base,
      children: state.items.map((vm) => ({ id: vm.key, kind: "vm", label: vm.name, vm, children: [] })),
    };
  }
  return { ...base, children: state.inventory.root.children.map((n) => vsphereNode(source.id, n, byPath)) };
}

function vsphereNode(sourceId: string, node: Wire<InventoryNode>, vms: Map<string, VmItem>): TreeNode {
  const id = `${sourceId}/${node.moref.type}:${node.moref.value}`;
  if (node.kind === "vm") {
    const vm = vms.get(node.path);
    return { id: vm?.key ?? id, kind: "vm", label: node.name, ...(vm ? { vm } : {}), children: [] };
  }
  const children = node.children.map((c) => vsphereNode(sourceId, c, vms));
  const tree: TreeNode = { id, kind: node.kind, label: node.name, children };
  if (node.kind === "host") {
    const note = hostNote(node.connectionState, node.inMaintenanceMode);
    if (note) tree.note = note;
  }
  return tree;
}

function hostNote(connection: string | undefined, maintenance: boolean | undefined): string | undefined {
  if (connection && connection !== "connected")
    return connection === "notResponding" ? "not responding" : connection;
  return maintenance ? "maintenance mode" : undefined;
}

/** The rows to draw: children of open nodes only, or with a query the matches and their ancestors. */
export function visibleRows(roots: TreeNode[], expanded: Record<string, boolean>, query: string): TreeRow[] {
  const needle = query.trim().toLowerCase();
  const rows: TreeRow[] = [];
  const walk = (nodes: TreeNode[], depth: number, parentId: string | null): void => {
    const shown = needle ? nodes.filter((n) => matches(n, needle)) : nodes;
    shown.forEach((node, i) => {
      const open = needle ? node.children.length > 0 : (expanded[node.id] ?? defaultOpen(node));
      rows.push({ node, depth, expanded: open, parentId, position: i + 1, siblings: shown.length });
      if (open) walk(node.children, depth + 1, node.id);
    });
  };
  walk(roots, 0, null);
  return rows;
}

/** Sources, datacenters and clusters start open: a small site sees its VMs without clicking. */
function defaultOpen(node: TreeNode): boolean {
  return node.kind === "source" || node.kind === "datacenter" || node.kind === "folder";
}

function matches(node: TreeNode, needle: string): boolean {
  if (node.kind === "vm") return node.label.toLowerCase().includes(needle);
  return node.children.some((c) => matches(c, needle));
}
