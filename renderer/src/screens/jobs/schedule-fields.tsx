/**
 * When a job runs, as a plain form: every day, weekdays, some days of the week, a day of the month,
 * at a time; a cron expression for power users; or not at all (run by hand). The line under it
 * reads the schedule back in words, or says what is missing.
 */
import {
  describeSchedule,
  scheduleFromForm,
  WEEKDAYS,
  type ScheduleForm,
  type ScheduleKind,
  type Weekday,
} from "../../lib/schedule-text";

const KINDS: { kind: ScheduleKind; label: string }[] = [
  { kind: "daily", label: "Every day" },
  { kind: "weekdays", label: "Weekdays (Monday to Friday)" },
  { kind: "weekly", label: "Weekly on" },
  { kind: "monthly", label: "Monthly on day" },
  { kind: "cron", label: "Advanced: cron expression" },
  { kind: "none", label: "Not scheduled (run by hand)" },
];

export function ScheduleFields(props: { value: ScheduleForm; onChange(value: ScheduleForm): void }) {
  const form = props.value;
  const set = (patch: Partial<ScheduleForm>) => props.onChange({ ...form, ...patch });
  const result = scheduleFromForm(form);
  return (
    <fieldset className="schedule-fields">
      <legend>Schedule</legend>
      {KINDS.map(({ kind, label }) => (
        <div key={kind} className="schedule-choice">
          <label>
            <input
              type="radio"
              name="schedule-kind"
              checked={form.kind === kind}
              onChange={() => set({ kind })}
            />{" "}
            {label}
          </label>
          {form.kind === kind ? <KindDetails form={form} set={set} /> : null}
          {form.kind === kind && kind !== "none" && kind !== "cron" ? (
            <TimeOfDay form={form} set={set} />
          ) : null}
        </div>
      ))}
      <p className={result.ok ? "muted" : "field-error"} role={result.ok ? undefined : "alert"}>
        {result.ok ? `Runs ${describeSchedule(result.schedule)}.` : result.problem}
      </p>
    </fieldset>
  );
}

/** Beside the chosen kind, so "Weekly on Mon Wed at 22:00" reads as one line. */
function TimeOfDay({ form, set }: { form: ScheduleForm; set(patch: Partial<ScheduleForm>): void }) {
  return (
    <label>
      at{" "}
      <input
        type="time"
        aria-label="Time of day"
        value={form.time}
        onChange={(e) => set({ time: e.target.value })}
      />
    </label>
  );
}

function KindDetails({ form, set }: { form: ScheduleForm; set(patch: Partial<ScheduleForm>): void }) {
  if (form.kind === "weekly") {
    const toggle = (day: Weekday) =>
      set({ days: form.days.includes(day) ? form.days.filter((d) => d !== day) : [...form.days, day] });
    return (
      <span className="weekday-boxes" role="group" aria-label="Days of the week">
        {WEEKDAYS.map((w) => (
          <label key={w.day} title={w.name}>
            <input
              type="checkbox"
              aria-label={w.name}
              checked={form.days.includes(w.day)}
              onChange={() => toggle(w.day)}
            />
            {w.short}
          </label>
        ))}
      </span>
    );
  }
  if (form.kind === "monthly") {
    return (
      <input
        type="number"
        aria-label="Day of the month"
        min={1}
        max={31}
        value={Number.isNaN(form.day) ? "" : form.day}
        onChange={(e) => set({ day: e.target.value === "" ? NaN : Number(e.target.value) })}
      />
    );
  }
  if (form.kind === "cron") {
    return (
      <input
        aria-label="Cron expression"
        className="mono"
        placeholder="minute hour day-of-month month day-of-week"
        value={form.expression}
        onChange={(e) => set({ expression: e.target.value })}
      />
    );
  }
  return null;
}
