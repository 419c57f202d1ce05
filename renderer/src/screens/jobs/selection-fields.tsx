/**
 * What a job backs up: a source, and for a vSphere source the VMs by inventory path (picked from
 * the source's inventory, or typed one per line when the inventory cannot be read now).
 */
import type { CatalogSource } from "../../../../main/catalog/catalog-api";
import { Field } from "../../components/field";
import { useSourcesStore } from "../../stores/sources-store";
import type { VmFollow } from "./job-draft";

export function SourceSelect(props: {
  sources: readonly CatalogSource[];
  value: string;
  onChange(sourceId: string): void;
}) {
  return (
    <Field label="Source">
      {(id) => (
        <select id={id} value={props.value} onChange={(e) => props.onChange(e.target.value)}>
          <option value="">Choose a source…</option>
          {props.sources.map((s) => (
            <option key={s.id} value={s.id}>
              {s.name} ({s.location})
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

/** Picked VMs, or every VM of a folder or with a tag, read again at each run (new ones included). */
export function FollowFields(props: { value: VmFollow; onChange(follow: VmFollow): void }) {
  const { value } = props;
  return (
    <>
      <Field label="Which VMs">
        {(id) => (
          <select
            id={id}
            value={value.kind}
            onChange={(e) => props.onChange({ kind: e.target.value as VmFollow["kind"], value: "" })}
          >
            <option value="vms">The VMs I pick</option>
            <option value="folder">Every VM in a folder (new ones included)</option>
            <option value="tag">Every VM with a tag (new ones included)</option>
          </select>
        )}
      </Field>
      {value.kind === "vms" ? null : (
        <Field
          label={value.kind === "folder" ? "Folder" : "Tag"}
          hint={
            value.kind === "folder"
              ? "An inventory path, like DC1/vm/Production."
              : "The tag's name in vSphere."
          }
        >
          {(id, describedBy) => (
            <input
              id={id}
              aria-describedby={describedBy}
              value={value.value}
              onChange={(e) => props.onChange({ kind: value.kind, value: e.target.value })}
            />
          )}
        </Field>
      )}
    </>
  );
}

export function VmPicker(props: { sourceId: string; value: string[]; onChange(vms: string[]): void }) {
  const inventory = useSourcesStore((s) => s.inventories[props.sourceId]);
  const paths =
    inventory?.status === "ready"
      ? inventory.items.flatMap((item) => (item.backupPath && !item.template ? [item.backupPath] : []))
      : [];
  // Paths the job names that the inventory no longer shows stay choosable, so they are not lost.
  const options = [...new Set([...paths, ...props.value])].sort();
  if (options.length === 0) {
    return (
      <Field label="VMs" hint="The inventory could not be read: give one inventory path per line.">
        {(id, describedBy) => (
          <textarea
            id={id}
            aria-describedby={describedBy}
            rows={3}
            placeholder="DC1/vm/web01"
            value={props.value.join("\n")}
            onChange={(e) => props.onChange(linesOf(e.target.value))}
          />
        )}
      </Field>
    );
  }
  return (
    <Field label="VMs" hint="Hold Ctrl (⌘ on a Mac) to pick several.">
      {(id, describedBy) => (
        <select
          id={id}
          multiple
          size={Math.min(8, Math.max(3, options.length))}
          aria-describedby={describedBy}
          value={props.value}
          onChange={(e) => props.onChange(Array.from(e.target.selectedOptions, (o) => o.value))}
        >
          {options.map((path) => (
            <option key={path} value={path}>
              {path}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}

function linesOf(text: string): string[] {
  return text
    .split("\n")
    .map((line) => line.trim())
    .filter(Boolean);
}
