/** Pre-checks with pass / warn / fail, in words. */
import type { PreCheck } from "../lib/backup-checks";

const ICON = { pass: "✓", warn: "⚠", fail: "✕" } as const;

export function PreCheckList({ checks }: { checks: PreCheck[] }) {
  return (
    <ul className="prechecks" aria-label="Pre-checks">
      {checks.map((c, i) => (
        <li key={i} className={`precheck precheck-${c.level}`}>
          <span className="precheck-icon" aria-hidden="true">
            {ICON[c.level]}
          </span>
          <span className="visually-hidden">{c.level}: </span>
          <strong>{c.subject}</strong> {c.message}
        </li>
      ))}
    </ul>
  );
}
