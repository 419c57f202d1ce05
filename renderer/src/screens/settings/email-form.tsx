/**
 * Email reports: where they go and how often. The SMTP password is sent to main once and kept in
 * the keychain; the form only ever learns that it is saved. "Send a test email" uses what is saved.
 */
import { useEffect, useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import { Field } from "../../components/field";
import { ErrorView } from "../../components/error-view";
import { useSettingsStore } from "../../stores/settings-store";
import { DEFAULT_PORTS, emailDraftOf, emailSettingsOf, type EmailDraft } from "./email-draft";

export function EmailForm() {
  const view = useSettingsStore((s) => s.view);
  const saveEmail = useSettingsStore((s) => s.saveEmail);
  const [draft, setDraft] = useState<EmailDraft>(() => emailDraftOf(view?.email ?? null));
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [saved, setSaved] = useState(false);
  const savedEmail = view?.email ?? null;
  useEffect(() => setDraft(emailDraftOf(savedEmail)), [savedEmail]);
  const set = (patch: Partial<EmailDraft>) => {
    setDraft((d) => ({ ...d, ...patch }));
    setSaved(false);
  };
  const result = emailSettingsOf(draft);
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    if (!result.ok) return;
    setBusy(true);
    const answer = await saveEmail(result.settings, password || undefined);
    setBusy(false);
    setError(answer.ok ? null : answer.error);
    if (answer.ok) {
      setPassword("");
      setSaved(true);
    }
  };
  return (
    <form className="card form-grid" aria-label="Email reports" onSubmit={(e) => void submit(e)}>
      <h3>Email reports</h3>
      <label>
        <input type="checkbox" checked={draft.enabled} onChange={(e) => set({ enabled: e.target.checked })} />{" "}
        Send email reports
      </label>
      <ServerFields draft={draft} set={set} />
      <TextField
        label="SMTP password"
        type="password"
        autoComplete="new-password"
        value={password}
        onChange={setPassword}
        hint={
          view?.smtpPasswordSaved
            ? "Saved in the keychain. Type a new one only to replace it."
            : "Sent once and kept in the system keychain, never in Snapferry's files."
        }
      />
      <TextField
        label="From"
        value={draft.from}
        placeholder="snapferry@example.com"
        onChange={(from) => set({ from })}
      />
      <TextField
        label="To"
        hint="Separate several addresses with commas."
        value={draft.to}
        onChange={(to) => set({ to })}
      />
      <ModeFields draft={draft} set={set} />
      {saved ? <p className="ok-text">Saved.</p> : null}
      <SubmitRow
        label="Save email settings"
        busyLabel="Saving…"
        busy={busy}
        disabled={!result.ok}
        problem={result.ok ? null : result.problem}
        error={error}
        errorTitle="The email settings were not saved"
      />
      <TestEmailButton disabled={!savedEmail} />
    </form>
  );
}

type Patch = (patch: Partial<EmailDraft>) => void;

function ServerFields({ draft, set }: { draft: EmailDraft; set: Patch }) {
  return (
    <div className="form-columns">
      <TextField
        label="SMTP server"
        value={draft.host}
        placeholder="smtp.example.com"
        onChange={(host) => set({ host })}
      />
      <Field label="Security">
        {(id) => (
          <select
            id={id}
            value={draft.security}
            onChange={(e) => {
              const security =
                e.target.value === "tls" ? "tls" : e.target.value === "none" ? "none" : "starttls";
              set({ security, port: String(DEFAULT_PORTS[security]) });
            }}
          >
            <option value="starttls">STARTTLS</option>
            <option value="tls">TLS</option>
            <option value="none">None (a relay on this machine only)</option>
          </select>
        )}
      </Field>
      <TextField label="Port" value={draft.port} onChange={(port) => set({ port })} />
      <TextField
        label="User"
        hint="Empty when the server takes mail without a login."
        value={draft.user}
        onChange={(user) => set({ user })}
      />
    </div>
  );
}

function ModeFields({ draft, set }: { draft: EmailDraft; set: Patch }) {
  return (
    <fieldset className="inline-fields">
      <legend>When</legend>
      <label>
        <input
          type="radio"
          name="email-mode"
          checked={draft.mode === "per-run"}
          onChange={() => set({ mode: "per-run" })}
        />{" "}
        After each run
      </label>
      <label>
        <input
          type="radio"
          name="email-mode"
          checked={draft.mode === "daily-digest"}
          onChange={() => set({ mode: "daily-digest" })}
        />{" "}
        A daily digest at
      </label>
      <input
        type="time"
        aria-label="Digest time"
        disabled={draft.mode !== "daily-digest"}
        value={draft.digestTime}
        onChange={(e) => set({ digestTime: e.target.value })}
      />
    </fieldset>
  );
}

function TestEmailButton({ disabled }: { disabled: boolean }) {
  const testEmail = useSettingsStore((s) => s.testEmail);
  const [busy, setBusy] = useState(false);
  const [outcome, setOutcome] = useState<{ sentTo: string[] } | { error: ApiError } | null>(null);
  const send = async () => {
    setBusy(true);
    const result = await testEmail();
    setBusy(false);
    setOutcome(result.ok ? { sentTo: result.value.to } : { error: result.error });
  };
  return (
    <div className="form-actions">
      {outcome && "sentTo" in outcome ? (
        <span className="ok-text">Sent to {outcome.sentTo.join(", ")}.</span>
      ) : null}
      <button type="button" disabled={disabled || busy} onClick={() => void send()}>
        {busy ? "Sending…" : "Send a test email"}
      </button>
      {outcome && "error" in outcome ? (
        <ErrorView title="The test email was not sent" error={outcome.error} />
      ) : null}
    </div>
  );
}
