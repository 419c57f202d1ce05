/** A labelled form control with an optional hint and error, wired for screen readers. */
import { useId, type ReactNode } from "react";

export function Field(props: {
  label: string;
  hint?: string;
  error?: string | null;
  children(id: string, describedBy: string | undefined): ReactNode;
}) {
  const id = useId();
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  const describedBy =
    [props.hint ? hintId : "", props.error ? errorId : ""].filter(Boolean).join(" ") || undefined;
  return (
    <div className="field">
      <label htmlFor={id}>{props.label}</label>
      {props.children(id, describedBy)}
      {props.hint ? (
        <small id={hintId} className="field-hint">
          {props.hint}
        </small>
      ) : null}
      {props.error ? (
        <small id={errorId} className="field-error" role="alert">
          {props.error}
        </small>
      ) : null}
    </div>
  );
}
