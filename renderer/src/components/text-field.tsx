/** A labelled text or password input: the one shape behind paths, servers, users and passwords. */
import { Field } from "./field";

export function TextField(props: {
  label: string;
  value: string;
  onChange(value: string): void;
  hint?: string;
  error?: string | null;
  type?: "text" | "password";
  autoComplete?: string;
  placeholder?: string;
}) {
  return (
    <Field label={props.label} {...(props.hint ? { hint: props.hint } : {})} error={props.error ?? null}>
      {(id, describedBy) => (
        <input
          id={id}
          {...(props.type === "password" ? { type: "password" } : {})}
          autoComplete={props.autoComplete}
          aria-describedby={describedBy}
          value={props.value}
          placeholder={props.placeholder}
          onChange={(e) => props.onChange(e.target.value)}
        />
      )}
    </Field>
  );
}

/** A repository's password asked for one run: kept in memory for this session only. */
export function SessionPasswordField(props: { value: string; onChange(value: string): void }) {
  return (
    <TextField
      label="Repository password"
      hint="Kept in memory for this session only."
      type="password"
      value={props.value}
      onChange={props.onChange}
    />
  );
}
