/** Imports a job exported elsewhere: pasted JSON or a .json file, read here and checked by main. */
import { useState, type FormEvent } from "react";
import type { ApiError } from "../../../../preload/contract";
import { Field } from "../../components/field";
import { SubmitRow } from "../../components/submit-row";
import { TextField } from "../../components/text-field";
import { useJobsStore } from "../../stores/jobs-store";

/** An exported job is a few KiB; main refuses more than 64 KiB anyway. */
const MAX_FILE_BYTES = 65536;

export function JobImport({ onDone }: { onDone(): void }) {
  const importJob = useJobsStore((s) => s.importJob);
  const [json, setJson] = useState("");
  const [name, setName] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const readFile = async (file: File | undefined) => {
    if (!file) return;
    if (file.size > MAX_FILE_BYTES) {
      setError({
        code: "config",
        message: `${file.name} is ${file.size} bytes, too big for an exported job`,
      });
      return;
    }
    setJson(await file.text());
    setError(null);
  };
  const submit = async (event: FormEvent) => {
    event.preventDefault();
    setBusy(true);
    const result = await importJob(json.trim(), name.trim() || undefined);
    setBusy(false);
    if (result.ok) onDone();
    else setError(result.error);
  };
  return (
    <form className="card form-grid" aria-label="Import a job" onSubmit={(e) => void submit(e)}>
      <h3>Import a job</h3>
      <Field label="Job file">
        {(id) => (
          <input
            id={id}
            type="file"
            accept=".json,application/json"
            onChange={(e) => void readFile(e.target.files?.[0])}
          />
        )}
      </Field>
      <Field
        label="Job JSON"
        hint="Or paste what Export saved. Sources and repositories must exist on this machine."
      >
        {(id, describedBy) => (
          <textarea
            id={id}
            className="mono"
            rows={6}
            aria-describedby={describedBy}
            value={json}
            onChange={(e) => setJson(e.target.value)}
          />
        )}
      </Field>
      <TextField
        label="Name"
        hint="Leave empty to keep the exported name; job names are unique."
        value={name}
        onChange={setName}
      />
      <SubmitRow
        label="Import"
        busyLabel="Importing…"
        busy={busy}
        disabled={json.trim().length < 2}
        error={error}
        errorTitle="The job was not imported"
      />
    </form>
  );
}
