/** Restore points as a table: when, what kind, how consistent, what it added, whether verified. */
import type { CatalogRestorePoint } from "../../../main/catalog/catalog-api";
import { formatBytes, formatTime } from "../lib/format";

export function RestorePointTable(props: {
  points: readonly CatalogRestorePoint[];
  caption: string;
  showSource?: boolean;
  onRestore?(point: CatalogRestorePoint): void;
}) {
  const { points, caption, showSource, onRestore } = props;
  return (
    <table className="table">
      <caption className="visually-hidden">{caption}</caption>
      <thead>
        <tr>
          <th scope="col">Time</th>
          {showSource ? <th scope="col">VM or source</th> : null}
          <th scope="col">Type</th>
          <th scope="col">Consistency</th>
          <th scope="col" className="num">
            Added
          </th>
          <th scope="col">Verified</th>
          {onRestore ? (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {points.map((rp) => (
          <tr key={`${rp.repositoryId}/${rp.id}`}>
            <td>{formatTime(rp.time)}</td>
            {showSource ? <td>{rp.vmName ?? rp.source}</td> : null}
            <td>{rp.type}</td>
            <td>{rp.consistency === "application" ? "application-consistent" : "crash-consistent"}</td>
            <td className="num">{rp.bytesAdded === null ? "–" : formatBytes(rp.bytesAdded)}</td>
            <td>{rp.verifiedAt ? `✓ ${formatTime(rp.verifiedAt)}` : "not yet"}</td>
            {onRestore ? (
              <td>
                <button type="button" className="link-button" onClick={() => onRestore(rp)}>
                  Restore…
                </button>
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}
