/** The backup dialog's choices: repository (and its password when needed), type, consistency. */
import { RepositorySelect } from "../../components/repository-select";
import { SessionPasswordField } from "../../components/text-field";
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
      <RepositorySelect
        repositories={repositories}
        value={settings.repositoryId}
        onChange={(repositoryId) => set({ repositoryId })}
        emptyChoice={repositories.length === 0 ? "No repository yet" : null}
      />
      {props.askPassword ? (
        <SessionPasswordField value={settings.password} onChange={(password) => set({ password })} />
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
