/** Create a repository: where, whether encrypted, and the password typed twice. */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { RememberCheckbox } from "../../components/remember-checkbox";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import { usePasswordsStore } from "../../stores/passwords-store";
import { useRepositoriesStore } from "../../stores/repositories-store";

export function CreateRepositoryForm({ onDone }: { onDone(): void }) {
  const create = useRepositoriesStore((s) => s.create);
  const rememberForSession = usePasswordsStore((s) => s.remember);
  const [path, setPath] = useState("");
  const [encrypted, setEncrypted] = useState(true);
  const [password, setPassword] = useState("");
  const [confirm, setConfirm] = useState("");
  const [remember, setRemember] = useState(true);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const mismatch = encrypted && confirm.length > 0 && password !== confirm;
  const problem = !path.trim()
    ? "Type the folder for the repository."
    : encrypted && password.length < 8
      ? "Choose a password of at least 8 characters."
      : encrypted && password !== confirm
        ? "Type the same password twice."
        : null;

  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (problem) return;
    setBusy(true);
    const result = await create({
      path: path.trim(),
      encryption: encrypted ? "aes256gcm" : "none",
      ...(encrypted ? { password } : {}),
      rememberPassword: encrypted && remember,
    });
    setBusy(false);
    if (!result.ok) {
      setError(result.error);
      return;
    }
    // Just typed: without the keychain, keep it for this session rather than ask again at once.
    if (encrypted && !result.value.passwordSaved) rememberForSession(result.value.repositoryId, password);
    onDone();
  };

  return (
    <form className="card form-grid" onSubmit={(e) => void submit(e)} aria-label="Create a repository">
      <h3>Create a repository</h3>
      <TextField
        label="Folder"
        hint="A local folder, a mounted NAS share or a USB disk. It must be empty or not exist yet."
        value={path}
        placeholder="/mnt/backup/snapferry"
        onChange={setPath}
      />
      <label className="choice">
        <input type="checkbox" checked={encrypted} onChange={(e) => setEncrypted(e.target.checked)} />
        Encrypt with AES-256-GCM (recommended; without the password the backups cannot be read)
      </label>
      {encrypted ? (
        <>
          <TextField
            label="Password"
            hint="At least 8 characters. It cannot be recovered: keep a copy somewhere safe."
            type="password"
            autoComplete="new-password"
            value={password}
            onChange={setPassword}
          />
          <TextField
            label="Confirm password"
            error={mismatch ? "The two passwords differ." : null}
            type="password"
            autoComplete="new-password"
            value={confirm}
            onChange={setConfirm}
          />
          <RememberCheckbox checked={remember} onChange={setRemember} />
        </>
      ) : null}
      <SubmitRow
        label="Create repository"
        busyLabel="Creating…"
        busy={busy}
        disabled={problem !== null}
        problem={problem}
        error={error}
        errorTitle="The repository was not created"
      />
    </form>
  );
}
