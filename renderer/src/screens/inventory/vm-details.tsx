/** The selected VM: its state, disks, snapshot tree and the restore points made of it. */
import { useMemo } from "react";
import { ChainBadge } from "../../components/chain-badge";
import { EmptyState } from "../../components/empty-state";
import { RestorePointTable } from "../../components/restore-point-table";
import { SnapshotTree } from "../../components/snapshot-tree";
import { formatBytes } from "../../lib/format";
import type { VmItem } from "../../lib/vm-items";
import { pointsOfVm } from "../../lib/vm-points";
import { allRestorePoints, useRestorePointsStore } from "../../stores/restore-points-store";
import { useSourcesStore } from "../../stores/sources-store";
import { useUiStore } from "../../stores/ui-store";
import { PowerState } from "./tree-row";

export function VmDetailsPane({ vm }: { vm: VmItem }) {
  const source = useSourcesStore((s) => s.sources.find((x) => x.id === vm.sourceId));
  const byRepository = useRestorePointsStore((s) => s.byRepository);
  const openDialog = useUiStore((s) => s.openDialog);
  const points = useMemo(
    () => pointsOfVm(vm, source, allRestorePoints(byRepository)),
    [vm, source, byRepository],
  );
  return (
    <section className="details" aria-labelledby="vm-details-title">
      <header className="details-header">
        <div>
          <h2 id="vm-details-title">{vm.name}</h2>
          <p className="muted">
            {source?.name ?? "unknown source"}
            {vm.guest ? ` · ${vm.guest}` : ""}
            {vm.template ? " · template" : ""}
          </p>
        </div>
        <button
          type="button"
          className="primary"
          onClick={() => openDialog({ kind: "backup", vmKeys: [vm.key] })}
        >
          Back up…
        </button>
      </header>
      <dl className="facts">
        <dt>Power</dt>
        <dd>
          <PowerState state={vm.powerState} />
        </dd>
        <dt>VMware Tools</dt>
        <dd>{vm.toolsRunning === undefined ? "not known" : vm.toolsRunning ? "running" : "not running"}</dd>
        <dt>Changed-block tracking</dt>
        <dd>
          {vm.cbt === undefined ? "not applicable" : vm.cbt ? "on" : "off (turned on by the first backup)"}
        </dd>
        <dt>Snapshot chain</dt>
        <dd>
          <ChainBadge chain={vm.chain} id="details" /> {vm.chain.summary}
          {vm.chain.reason ? <p className="chain-reason">{vm.chain.reason}</p> : null}
        </dd>
      </dl>
      <h3>Disks</h3>
      {vm.disks.length === 0 ? (
        <p className="muted">No disks.</p>
      ) : (
        <ul className="disk-list">
          {vm.disks.map((d) => (
            <li key={d.label}>
              <strong>{d.label}</strong> {formatBytes(d.capacityBytes)}{" "}
              <span className="muted">{d.detail}</span>
            </li>
          ))}
        </ul>
      )}
      {vm.sourceKind === "vsphere" ? (
        <>
          <h3>Snapshots</h3>
          <SnapshotTree snapshots={vm.snapshots} />
        </>
      ) : null}
      <h3>Restore points</h3>
      {points.length === 0 ? (
        <EmptyState title="No restore points of this VM yet">Back it up to make the first one.</EmptyState>
      ) : (
        <RestorePointTable
          caption={`Restore points of ${vm.name}`}
          points={points}
          verifiable
          onRestore={(rp) =>
            openDialog({ kind: "restore", repositoryId: rp.repositoryId, restorePointId: rp.id })
          }
        />
      )}
    </section>
  );
}
