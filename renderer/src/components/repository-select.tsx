/** The "Repository" dropdown: each repository by name and path, with an optional first empty choice. */
import type { RepositoryView } from "../../../preload/contract";
import { Field } from "./field";

export function RepositorySelect(props: {
  repositories: readonly RepositoryView[];
  value: string;
  onChange(repositoryId: string): void;
  /** The label of an empty first option (value ""), if any. */
  emptyChoice?: string | null;
}) {
  return (
    <Field label="Repository">
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          {props.emptyChoice ? <option value="">{props.emptyChoice}</option> : null}
          {props.repositories.map((r) => (
            <option key={r.repositoryId} value={r.repositoryId}>
              {r.name} ({r.path})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
