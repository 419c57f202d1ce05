/** Copies (3-2-1): second repositories the job's new restore points go to, each with its own retention. */
import type { RepositoryView } from "../../../../preload/contract";
import { DEFAULT_RETENTION, type CopyDraft } from "./job-draft";
import { RetentionFields } from "./retention-fields";

export function CopiesFields(props: {
  repositories: readonly RepositoryView[];
  /** The job's own repository, which cannot be a copy's. */
  primary: string;
  value: CopyDraft[];
  onChange(copies: CopyDraft[]): void;
}) {
  const update = (at: number, copy: CopyDraft) =>
    props.onChange(props.value.map((c, i) => (i === at ? copy : c)));
  const others = props.repositories.filter((r) => r.repositoryId !== props.primary);
  const nameOf = (id: string) =>
    props.repositories.find((r) => r.repositoryId === id)?.name ?? "a repository";
  return (
    <fieldset>
      <legend>Copies</legend>
      {props.value.length === 0 ? (
        <p className="muted">No copy: each restore point lives in one repository only.</p>
      ) : null}
      {props.value.map((copy, at) => (
        <div key={at} className="copy-row">
          <select
            aria-label={`Copy ${at + 1} repository`}
            value={copy.repositoryId}
            onChange={(e) => update(at, { ...copy, repositoryId: e.target.value })}
          >
            <option value="">Choose a repository…</option>
            {others.map((r) => (
              <option key={r.repositoryId} value={r.repositoryId}>
                {r.name} ({r.path})
              </option>
            ))}
          </select>
          <label>
            <input
              type="checkbox"
              checked={copy.retention !== null}
              onChange={(e) =>
                update(at, { ...copy, retention: e.target.checked ? { ...DEFAULT_RETENTION } : null })
              }
            />{" "}
            Own retention
          </label>
          {copy.retention ? (
            <RetentionFields
              label={`Restore points to keep in the copy to ${nameOf(copy.repositoryId)}`}
              value={copy.retention}
              onChange={(retention) => update(at, { ...copy, retention })}
            />
          ) : null}
          <button
            type="button"
            className="danger-link"
            onClick={() => props.onChange(props.value.filter((_, i) => i !== at))}
          >
            Remove copy {at + 1}
          </button>
        </div>
      ))}
      <button
        type="button"
        disabled={others.length === 0}
        onClick={() =>
          props.onChange([...props.value, { repositoryId: others[0]?.repositoryId ?? "", retention: null }])
        }
      >
        Add a copy
      </button>
      {others.length === 0 ? <span className="muted"> Add a second repository to copy into.</span> : null}
    </fieldset>
  );
}
