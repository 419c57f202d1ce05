/** Machines without a restore point in the last N days (N adjustable): what the backups are missing. */
import { useEffect, useState } from "react";
import type { DashboardView } from "../../../../preload/contract";
import { formatTime, plural } from "../../lib/format";

export function ProtectionGaps(props: {
  gaps: DashboardView["protectionGaps"];
  gapDays: number;
  onGapDays(days: number): void;
}) {
  const [days, setDays] = useState(String(props.gapDays));
  useEffect(() => setDays(String(props.gapDays)), [props.gapDays]);
  const apply = () => {
    const n = Math.trunc(Number(days));
    if (Number.isFinite(n) && n >= 1 && n <= 365 && n !== props.gapDays) props.onGapDays(n);
  };
  return (
    <section className="card dashboard-card" aria-label="Protection gaps">
      <div className="card-header">
        <h3>Protection gaps</h3>
        <label>
          No restore point in{" "}
          <input
            type="number"
            min={1}
            max={365}
            className="narrow"
            value={days}
            onChange={(e) => setDays(e.target.value)}
            onBlur={apply}
            onKeyDown={(e) => (e.key === "Enter" ? apply() : undefined)}
          />{" "}
          days
        </label>
      </div>
      {props.gaps.length === 0 ? (
        <p className="ok-text">
          Every machine has a restore point from the last {plural(props.gapDays, "day")}.
        </p>
      ) : (
        <ul className="gap-list">
          {props.gaps.map((g) => (
            <li key={`${g.source}|${g.name}`}>
              <strong>{g.name}</strong> <span className="muted">{g.source}</span>{" "}
              <span className="warn-text">
                {g.newest === null
                  ? "never backed up"
                  : `last restore point ${formatTime(g.newest)}${g.days === null ? "" : ` (${plural(g.days, "day")} ago)`}`}
              </span>
            </li>
          ))}
        </ul>
      )}
    </section>
  );
}
