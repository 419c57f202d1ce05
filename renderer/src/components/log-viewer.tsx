/** A run's log: time, level and message, warnings and errors marked, with a level filter. */
import { useEffect, useState } from "react";
import { formatTime } from "../lib/format";
import { useRunsStore } from "../stores/runs-store";
import { ErrorView } from "./error-view";

type Filter = "all" | "warn" | "error";

export function LogViewer({ runId }: { runId: string }) {
  const lines = useRunsStore((s) => s.logs[runId]);
  const error = useRunsStore((s) => s.logErrors[runId]);
  const loadLogs = useRunsStore((s) => s.loadLogs);
  const [filter, setFilter] = useState<Filter>("all");
  useEffect(() => {
    void loadLogs(runId);
  }, [runId, loadLogs]);
  if (error) return <ErrorView title="Could not read the log" error={error} />;
  if (!lines) return <p className="muted">Reading the log…</p>;
  const shown = lines.filter(
    (l) => filter === "all" || l.level === "error" || (filter === "warn" && l.level === "warn"),
  );
  return (
    <div className="log-viewer">
      <label className="log-filter">
        Show{" "}
        <select
          value={filter}
          onChange={(e) =>
            setFilter(e.target.value === "warn" ? "warn" : e.target.value === "error" ? "error" : "all")
          }
        >
          <option value="all">everything</option>
          <option value="warn">warnings and errors</option>
          <option value="error">errors</option>
        </select>
      </label>
      {shown.length === 0 ? (
        <p className="muted">No log lines{filter === "all" ? "" : " at this level"}.</p>
      ) : (
        <ol className="log-lines" aria-label="Log">
          {shown.map((line, i) => (
            <li key={i} className={`log-${line.level}`}>
              <time dateTime={line.time}>{formatTime(line.time)}</time>
              <span className="log-level">{line.level}</span>
              <span className="log-message">{line.message}</span>
            </li>
          ))}
        </ol>
      )}
    </div>
  );
}
