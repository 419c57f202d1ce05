/** An error in words, with what to do next, and the technical detail one click away. */
import type { ApiError } from "../../../preload/contract";

export function ErrorView({ error, title }: { error: ApiError; title?: string }) {
  const details = Object.entries(error.details ?? {});
  return (
    <div className="error-view" role="alert">
      {title ? <strong>{title}</strong> : null}
      <p>{capitalize(error.message)}.</p>
      {error.hint ? <p className="hint">{error.hint}</p> : null}
      <details>
        <summary>Details</summary>
        <dl>
          <dt>Code</dt>
          <dd>
            <code>{error.code}</code>
          </dd>
          {details.map(([key, value]) => (
            <div key={key}>
              <dt>{key}</dt>
              <dd>
                <code>{value}</code>
              </dd>
            </div>
          ))}
        </dl>
      </details>
    </div>
  );
}

function capitalize(text: string): string {
  const trimmed = text.replace(/\.$/, "");
  return trimmed.charAt(0).toUpperCase() + trimmed.slice(1);
}
