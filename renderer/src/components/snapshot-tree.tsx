/** A VM's snapshots drawn as the tree they are, marking the one the VM runs on and the old ones. */
import type { VmSnapshot } from "../../../main/sources/vsphere/snapshot-tree";
import type { Wire } from "../../../preload/contract";
import { formatAge, formatTime } from "../lib/format";

type Snapshot = Wire<VmSnapshot>;

export function SnapshotTree({ snapshots }: { snapshots: Snapshot[] }) {
  if (snapshots.length === 0) return <p className="muted">No snapshots.</p>;
  return (
    <ul className="snapshot-tree" aria-label="Snapshot tree">
      {snapshots.map((s) => (
        <SnapshotItem key={s.snapshot} snapshot={s} />
      ))}
    </ul>
  );
}

function SnapshotItem({ snapshot }: { snapshot: Snapshot }) {
  return (
    <li className={snapshot.onCurrentChain ? "on-chain" : ""}>
      <div className="snapshot-node">
        <span className="snapshot-name">{snapshot.name}</span>
        {snapshot.current ? <span className="badge badge-info">you are here</span> : null}
        {snapshot.quiesced ? <span className="badge">quiesced</span> : null}
        {snapshot.tooOld ? (
          <span className="badge chain-warning" title="Older than 72 hours: its delta disk keeps growing">
            ⚠ {formatAge(snapshot.ageMs)} old
          </span>
        ) : null}
        <span className="muted">
          {formatTime(snapshot.createTime)} · depth {snapshot.depth}
        </span>
        {snapshot.description ? <span className="snapshot-description">{snapshot.description}</span> : null}
      </div>
      {snapshot.children.length > 0 ? (
        <ul>
          {snapshot.children.map((c) => (
            <SnapshotItem key={c.snapshot} snapshot={c} />
          ))}
        </ul>
      ) : null}
    </li>
  );
}
