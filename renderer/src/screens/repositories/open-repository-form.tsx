/** Open an existing repository (a USB disk from another machine): its restore points come with it. */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { ErrorView } from "../../components/error-view";
import { Field } from "../../components/field";
import { RememberCheckbox } from "../../components/remember-checkbox";
import { usePasswordsStore } from "../../stores/passwords-store";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useRestorePointsStore } from "../../stores/restore-points-store";

export function OpenRepositoryForm({ onDone }: { onDone(): void }) {
  const open = useRepositoriesStore((s) => s.open);
  const rememberForSession = usePasswordsStore((s) => s.remember);
  const loadPoints = useRestorePointsStore((s) => s.load);
  const [path, setPath] = useState("");
  const [password, setPassword] = useState("");
  const [remember, setRemember] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!path.trim()) return;
    setBusy(true);
    const result = await open({
      path: path.trim(),
      ...(password ? { password } : {}),
      rememberPassword: password.length > 0 && remember,
    });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    if (password && !result.value.passwordSaved) rememberForSession(result.value.repositoryId, password);
    void loadPoints(result.value.repositoryId, true);
    onDone();
  };

  return (
    <form
      className="card form-grid"
      onSubmit={(e) => void submit(e)}
      aria-label="Open an existing repository"
    >
      <h3>Open an existing repository</h3>
      <Field
        label="Folder"
        hint="Where the repository is on this machine: Snapferry reads its restore points from it."
      >
        {(id, describedBy) => (
          <input
            id={id}
            aria-describedby={describedBy}
            value={path}
            placeholder="/media/usb/snapferry"
            onChange={(e) => setPath(e.target.value)}
          />
        )}
      </Field>
      <Field label="Password" hint="Leave empty for an unencrypted repository.">
        {(id, describedBy) => (
          <input
            id={id}
            type="password"
            aria-describedby={describedBy}
            value={password}
            onChange={(e) => setPassword(e.target.value)}
          />
        )}
      </Field>
      {password ? <RememberCheckbox checked={remember} onChange={setRemember} /> : null}
      {error ? <ErrorView title="The repository could not be opened" error={error} /> : null}
      <div className="form-actions">
        <button type="submit" className="primary" disabled={!path.trim() || busy}>
          {busy ? "Opening…" : "Open repository"}
        </button>
      </div>
    </form>
  );
}
