/**
 * Asks for a password the keychain does not have (a repository's, a vSphere server's), keeps it for
 * this session only, and retries.
 */
import { useState, type FormEvent } from "react";
import { usePasswordsStore } from "../stores/passwords-store";
import { TextField } from "./text-field";

export function PasswordPrompt(props: { id: string; label: string; onDone(): void }) {
  const [password, setPassword] = useState("");
  const remember = usePasswordsStore((s) => s.remember);
  const submit = (event: FormEvent) => {
    event.preventDefault();
    if (!password) return;
    remember(props.id, password);
    props.onDone();
  };
  return (
    <form className="inline-form" onSubmit={submit}>
      <TextField
        label={props.label}
        hint="Kept in memory until Snapferry closes; never written to disk."
        type="password"
        autoComplete="current-password"
        value={password}
        onChange={setPassword}
      />
      <button type="submit" disabled={!password}>
        Use password
      </button>
    </form>
  );
}

/** Error codes after which asking for the password again can help. */
export const PASSWORD_ERRORS = new Set(["wrong-password", "vsphere-login", "keychain-unavailable"]);
