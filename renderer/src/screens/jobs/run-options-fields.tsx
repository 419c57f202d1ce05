/**
 * How a job runs: when an active full reads everything again, when the backup window closes, how
 * many VMs at once, how a failed VM is retried, and whether a VM that cannot be quiesced may be
 * backed up crash-consistent.
 */
import { WEEKDAYS, type Weekday } from "../../lib/schedule-text";
import type { JobDraft } from "./job-draft";

type Patch = (patch: Partial<JobDraft>) => void;

export function RunOptionsFields({ draft, set }: { draft: JobDraft; set: Patch }) {
  return (
    <>
      <ActiveFullFields draft={draft} set={set} />
      <fieldset className="inline-fields">
        <legend>Running</legend>
        <label>
          Backup window ends at{" "}
          <input
            type="time"
            aria-label="Backup window end"
            value={draft.windowEnd}
            onChange={(e) => set({ windowEnd: e.target.value })}
          />
        </label>
        <label>
          VMs at once{" "}
          <select value={draft.concurrency} onChange={(e) => set({ concurrency: Number(e.target.value) })}>
            {[1, 2, 3, 4].map((n) => (
              <option key={n} value={n}>
                {n}
              </option>
            ))}
          </select>
        </label>
        <label>
          Retries{" "}
          <input
            type="number"
            min={0}
            max={10}
            value={draft.attempts}
            onChange={(e) => set({ attempts: bounded(e.target.value, 0, 10) })}
          />
        </label>
        <label>
          seconds apart{" "}
          <input
            type="number"
            min={1}
            max={3600}
            aria-label="Seconds between retries"
            value={draft.backoffSeconds}
            onChange={(e) => set({ backoffSeconds: bounded(e.target.value, 1, 3600) })}
          />
        </label>
        <label>
          <input
            type="checkbox"
            checked={draft.allowCrashConsistent}
            onChange={(e) => set({ allowCrashConsistent: e.target.checked })}
          />{" "}
          Allow crash-consistent backups of VMs that cannot be quiesced
        </label>
      </fieldset>
    </>
  );
}

function ActiveFullFields({ draft, set }: { draft: JobDraft; set: Patch }) {
  const full = draft.activeFull;
  return (
    <fieldset className="inline-fields">
      <legend>Active full</legend>
      <label>
        <input
          type="radio"
          name="active-full"
          checked={full.kind === "none"}
          onChange={() => set({ activeFull: { kind: "none" } })}
        />{" "}
        Never (incrementals forever)
      </label>
      <label>
        <input
          type="radio"
          name="active-full"
          checked={full.kind === "every-weeks"}
          onChange={() => set({ activeFull: { kind: "every-weeks", weeks: 4 } })}
        />{" "}
        Every
      </label>
      {full.kind === "every-weeks" ? (
        <label>
          <input
            type="number"
            min={1}
            max={52}
            aria-label="Weeks between active fulls"
            value={full.weeks}
            onChange={(e) =>
              set({ activeFull: { kind: "every-weeks", weeks: bounded(e.target.value, 1, 52) } })
            }
          />{" "}
          weeks
        </label>
      ) : null}
      <label>
        <input
          type="radio"
          name="active-full"
          checked={full.kind === "weekday"}
          onChange={() => set({ activeFull: { kind: "weekday", day: 6 } })}
        />{" "}
        On
      </label>
      {full.kind === "weekday" ? (
        <select
          aria-label="Active full weekday"
          value={full.day}
          onChange={(e) => set({ activeFull: { kind: "weekday", day: weekdayOf(e.target.value) } })}
        >
          {WEEKDAYS.map((w) => (
            <option key={w.day} value={w.day}>
              {w.name}
            </option>
          ))}
        </select>
      ) : null}
    </fieldset>
  );
}

function bounded(text: string, min: number, max: number): number {
  const n = Math.trunc(Number(text));
  return Number.isFinite(n) ? Math.min(Math.max(n, min), max) : min;
}

function weekdayOf(value: string): Weekday {
  return WEEKDAYS.find((w) => String(w.day) === value)?.day ?? 6;
}
