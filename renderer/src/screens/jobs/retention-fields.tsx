/** How many restore points to keep: the newest N, and one per day, week, month and year. */
import type { RetentionSettings } from "../../../../main/jobs/job-settings";

const FIELDS: { key: keyof RetentionSettings; label: string; max: number }[] = [
  { key: "last", label: "Last", max: 1000 },
  { key: "daily", label: "Daily", max: 1000 },
  { key: "weekly", label: "Weekly", max: 1000 },
  { key: "monthly", label: "Monthly", max: 1000 },
  { key: "yearly", label: "Yearly", max: 100 },
];

export function RetentionFields(props: {
  /** Names the group for screen readers: "Restore points to keep". */
  label: string;
  value: RetentionSettings;
  onChange(value: RetentionSettings): void;
}) {
  return (
    <span className="retention-fields" role="group" aria-label={props.label}>
      {FIELDS.map((f) => (
        <label key={f.key}>
          {f.label}{" "}
          <input
            type="number"
            min={0}
            max={f.max}
            value={props.value[f.key]}
            onChange={(e) => props.onChange({ ...props.value, [f.key]: clamp(e.target.value, f.max) })}
          />
        </label>
      ))}
    </span>
  );
}

function clamp(text: string, max: number): number {
  const n = Math.trunc(Number(text));
  return Number.isFinite(n) ? Math.min(Math.max(n, 0), max) : 0;
}
