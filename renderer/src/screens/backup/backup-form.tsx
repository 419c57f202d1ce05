/** The backup dialog's choices: repository (and its password when needed), type, consistency. */
import { Field } from "../../components/field";
import type { RepositoryView } from "../../../../preload/contract";

export type BackupChoice = "incremental" | "full" | "active-full";

export interface BackupSettings {
  repositoryId: string;
  password: string;
  type: BackupChoice;
  allowCrashConsistent: boolean;
}

const TYPES: { value: BackupChoice; label: string; hint: string }[] = [
  {
    value: "incremental",
    label: "Incremental",
    hint: "only what changed since the last restore point (CBT)",
  },
  { value: "full", label: "Full", hint: "a new chain; unallocated areas are skipped" },
  { value: "active-full", label: "Active full", hint: "reads every block again" },
];

export function BackupForm(props: {
  repositories: RepositoryView[];
  settings: BackupSettings;
  askPassword: boolean;
  onChange(settings: BackupSettings): void;
}) {
  const { repositories, settings, onChange } = props;
  const set = (patch: Partial<BackupSettings>) => onChange({ ...settings, ...patch });
  return (
    <div className="form-grid">
      <Field label="Repository">
        {(id) => (
          <select
            id={id}
            value={settings.repositoryId}
            onChange={(e) => set({ repositoryId: e.target.value })}
          >
            {repositories.length === 0 ? <option value="">No repository yet</option> : null}
            {repositories.map((r) => (
              <option key={r.repositoryId} value={r.repositoryId}>
                {r.name} ({r.path})
              </option>
            ))}
          </select>
        )}
      </Field>
      {props.askPassword ? (
        <Field label="Repository password" hint="Kept in memory for this session only.">
          {(id, describedBy) => (
            <input
              id={id}
              type="password"
              aria-describedby={describedBy}
              value={settings.password}
              onChange={(e) => set({ password: e.target.value })}
            />
          )}
        </Field>
      ) : null}
      <fieldset>
        <legend>Type</legend>
        {TYPES.map((t) => (
          <label key={t.value} className="choice">
            <input
              type="radio"
              name="backup-type"
              value={t.value}
              checked={settings.type === t.value}
              onChange={() => set({ type: t.value })}
            />
            {t.label} <span className="muted">— {t.hint}</span>
          </label>
        ))}
      </fieldset>
      <fieldset>
        <legend>Consistency</legend>
        <label className="choice">
          <input
            type="checkbox"
            checked={settings.allowCrashConsistent}
            onChange={(e) => set({ allowCrashConsistent: e.target.checked })}
          />
          Allow crash-consistent backups when the guest cannot be quiesced
        </label>
      </fieldset>
    </div>
  );
}
