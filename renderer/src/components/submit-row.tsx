/** The foot of a form: why it failed (if it did), why it cannot go yet, and its submit button. */
import type { ApiError } from "../../../preload/contract";
import { ErrorView } from "./error-view";

export function SubmitRow(props: {
  label: string;
  busyLabel: string;
  busy: boolean;
  disabled: boolean;
  error: ApiError | null;
  errorTitle: string;
  /** What is still missing, shown beside the button. */
  problem?: string | null;
  /** Hides the button while something else (a certificate prompt) has the form's attention. */
  hideButton?: boolean;
}) {
  return (
    <>
      {props.error ? <ErrorView title={props.errorTitle} error={props.error} /> : null}
      {props.hideButton ? null : (
        <div className="form-actions">
          {props.problem ? <span className="muted">{props.problem}</span> : null}
          <button type="submit" className="primary" disabled={props.disabled || props.busy}>
            {props.busy ? props.busyLabel : props.label}
          </button>
        </div>
      )}
    </>
  );
}
