/** One row of the inventory tree: a source, a datacenter, cluster, host or folder, or a VM with its state. */
import { ChainBadge } from "../../components/chain-badge";
import type { TreeRow } from "../../lib/inventory-tree";
import type { VmItem } from "../../lib/vm-items";

const KIND_LABEL: Record<string, string> = {
  source: "Source",
  folder: "Folder",
  datacenter: "Datacenter",
  cluster: "Cluster",
  host: "Host",
  "resource-pool": "Resource pool",
  vapp: "vApp",
  vm: "VM",
};

export function rowDomId(id: string): string {
  return `tree-${id.replace(/[^A-Za-z0-9_-]/g, "_")}`;
}

export function InventoryTreeRow(props: {
  row: TreeRow;
  active: boolean;
  selected: boolean;
  checked: boolean;
  onActivate(): void;
  onToggle(): void;
  onCheck(): void;
}) {
  const { row, active, selected, checked } = props;
  const { node } = row;
  const domId = rowDomId(node.id);
  const expandable = node.children.length > 0;
  return (
    <div
      id={domId}
      role="treeitem"
      aria-level={row.depth + 1}
      aria-setsize={row.siblings}
      aria-posinset={row.position}
      aria-expanded={expandable ? row.expanded : undefined}
      aria-selected={selected}
      aria-checked={node.vm ? checked : undefined}
      className={`tree-row kind-${node.kind} ${active ? "active" : ""} ${selected ? "selected" : ""}`}
      style={{ paddingLeft: 8 + row.depth * 18 }}
      onClick={props.onActivate}
    >
      <span
        className={`twisty ${expandable ? (row.expanded ? "open" : "closed") : "leaf"}`}
        aria-hidden="true"
        onClick={(e) => {
          e.stopPropagation();
          if (expandable) props.onToggle();
        }}
      />
      {node.vm ? (
        <span
          className={`check ${checked ? "on" : ""}`}
          aria-hidden="true"
          onClick={(e) => {
            e.stopPropagation();
            props.onCheck();
          }}
        />
      ) : null}
      <span className={`node-icon icon-${node.kind}`} aria-hidden="true" />
      <span className="node-label">
        <span className="visually-hidden">{KIND_LABEL[node.kind] ?? node.kind} </span>
        {node.label}
      </span>
      {node.note ? <span className="node-note">{node.note}</span> : null}
      {node.vm ? <VmState vm={node.vm} domId={domId} /> : null}
    </div>
  );
}

function VmState({ vm, domId }: { vm: VmItem; domId: string }) {
  return (
    <span className="vm-state">
      <PowerState state={vm.powerState} />
      <Flag label="Tools" on={vm.toolsRunning} onText="Tools running" offText="Tools not running" />
      <Flag label="CBT" on={vm.cbt} onText="changed-block tracking on" offText="changed-block tracking off" />
      <ChainBadge chain={vm.chain} id={domId} />
    </span>
  );
}

export function PowerState({ state }: { state: string | undefined }) {
  const text =
    state === "poweredOn" ? "on" : state === "poweredOff" ? "off" : state === "suspended" ? "suspended" : "–";
  return (
    <span className={`power power-${state ?? "unknown"}`} title={`Power: ${text}`}>
      <span className="visually-hidden">power </span>
      {text}
    </span>
  );
}

function Flag(props: { label: string; on: boolean | undefined; onText: string; offText: string }) {
  if (props.on === undefined) return <span className="flag flag-na" aria-hidden="true" />;
  return (
    <span
      className={`flag ${props.on ? "flag-on" : "flag-off"}`}
      title={props.on ? props.onText : props.offText}
    >
      <span className="visually-hidden">{props.on ? props.onText : props.offText}</span>
      <span aria-hidden="true">{props.label}</span>
    </span>
  );
}
