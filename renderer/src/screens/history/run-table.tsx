/** Past and running runs: status, duration, data moved; a row opens its log. */
import type { CatalogRun } from "../../../../main/catalog/catalog-api";
import { formatBytes, formatDuration, formatTime } from "../../lib/format";
import { durationSeconds } from "../../lib/run-series";

export function RunTable(props: {
  runs: CatalogRun[];
  selected: string | null;
  onSelect(runId: string): void;
}) {
  return (
    <table className="table runs">
      <caption className="visually-hidden">Runs</caption>
      <thead>
        <tr>
          <th scope="col">Run</th>
          <th scope="col">Status</th>
          <th scope="col">Started</th>
          <th scope="col" className="num">
            Duration
          </th>
          <th scope="col" className="num">
            Read
          </th>
          <th scope="col" className="num">
            Stored
          </th>
        </tr>
      </thead>
      <tbody>
        {props.runs.map((run) => (
          <tr
            key={run.id}
            className={run.id === props.selected ? "selected" : ""}
            aria-selected={run.id === props.selected}
          >
            <td>
              <button type="button" className="link-button" onClick={() => props.onSelect(run.id)}>
                {run.title}
              </button>
              <span className="muted"> {run.kind}</span>
            </td>
            <td>
              <span className={`status status-${run.status}`}>{run.status}</span>
            </td>
            <td>{formatTime(run.startedAt)}</td>
            <td className="num">
              {run.status === "running" ? "running" : formatDuration(durationSeconds(run))}
            </td>
            <td className="num">{formatBytes(run.bytesRead)}</td>
            <td className="num">{formatBytes(run.bytesStored)}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}
