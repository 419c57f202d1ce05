/** Open an existing repository (a USB disk from another machine): its restore points come with it. */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { RememberCheckbox } from "../../components/remember-checkbox";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
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
      <TextField
        label="Folder"
        hint="Where the repository is on this machine: Snapferry reads its restore points from it."
        value={path}
        placeholder="/media/usb/snapferry"
        onChange={setPath}
      />
      <TextField
        label="Password"
        hint="Leave empty for an unencrypted repository."
        type="password"
        value={password}
        onChange={setPassword}
      />
      {password ? <RememberCheckbox checked={remember} onChange={setRemember} /> : null}
      <SubmitRow
        label="Open repository"
        busyLabel="Opening…"
        busy={busy}
        disabled={!path.trim()}
        error={error}
        errorTitle="The repository could not be opened"
      />
    </form>
  );
}
