/** Restore points as a table: when, what kind, how consistent, what it added, whether verified. */
import type { CatalogRestorePoint } from "../../../main/catalog/catalog-api";
import { formatBytes, formatTime } from "../lib/format";
import { VerifyButton } from "./verify-button";

export function RestorePointTable(props: {
  points: readonly CatalogRestorePoint[];
  caption: string;
  showSource?: boolean;
  onRestore?(point: CatalogRestorePoint): void;
  /** A "Verify" button per restore point. */
  verifiable?: boolean;
}) {
  const { points, caption, showSource, onRestore, verifiable } = props;
  const actions = onRestore !== undefined || verifiable === true;
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
          {actions ? (
            <th scope="col">
              <span className="visually-hidden">Actions</span>
            </th>
          ) : null}
        </tr>
      </thead>
      <tbody>
        {points.map((rp) => (
          <tr
            key={`${rp.repositoryId}/${rp.id}`}
            className={rp.verifyFailure ? "row-failed" : undefined}
            aria-label={
              rp.verifyFailure ? `Restore point ${formatTime(rp.time)}: failed verification` : undefined
            }
          >
            <td>{formatTime(rp.time)}</td>
            {showSource ? <td>{rp.vmName ?? rp.source}</td> : null}
            <td>{rp.type}</td>
            <td>{rp.consistency === "application" ? "application-consistent" : "crash-consistent"}</td>
            <td className="num">{rp.bytesAdded === null ? "–" : formatBytes(rp.bytesAdded)}</td>
            <td>
              <Verified point={rp} />
            </td>
            {actions ? (
              <td>
                {onRestore ? (
                  <button type="button" className="link-button" onClick={() => onRestore(rp)}>
                    Restore…
                  </button>
                ) : null}{" "}
                {verifiable ? (
                  <VerifyButton
                    repositoryId={rp.repositoryId}
                    restorePointId={rp.id}
                    label="Verify"
                    name={`Verify restore point of ${formatTime(rp.time)}`}
                  />
                ) : null}
              </td>
            ) : null}
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/** A failure newer than the last success is what counts (the catalog keeps it only then). */
function Verified({ point }: { point: CatalogRestorePoint }) {
  if (point.verifyFailure) {
    return (
      <span className="verify-failed" role="status" aria-label="Verification failed">
        ✗ failed {formatTime(point.verifyFailure.at)}: {point.verifyFailure.reason}
      </span>
    );
  }
  return <>{point.verifiedAt ? `✓ verified ${formatTime(point.verifiedAt)}` : "not yet"}</>;
}
