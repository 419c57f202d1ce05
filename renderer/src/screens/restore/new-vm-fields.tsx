/** Where a restored VM goes on vSphere: server, host or cluster, datastore, name, power. */
import type { CatalogSource } from "../../../../main/catalog/catalog-api";
import { Field } from "../../components/field";
import { placementsOf } from "../../lib/placements";
import type { RestorePlan } from "../../lib/restore-plan";
import { useSourcesStore } from "../../stores/sources-store";

export function NewVmFields(props: {
  sources: CatalogSource[];
  plan: RestorePlan;
  onChange(patch: Partial<RestorePlan>): void;
}) {
  const { plan, onChange } = props;
  const state = useSourcesStore((s) => s.inventories[plan.sourceId]);
  const { placements, datastores } = placementsOf(state?.status === "ready" ? state.inventory : undefined);
  const datacenter = placements.find((p) => p.value === plan.placement)?.datacenter;
  const usable = datastores.filter((d) => !datacenter || d.datacenter === datacenter);
  return (
    <div className="form-grid">
      <Field label="vSphere server">
        {(id) => (
          <select
            id={id}
            value={plan.sourceId}
            onChange={(e) => onChange({ sourceId: e.target.value, placement: "", datastore: "" })}
          >
            {props.sources.map((s) => (
              <option key={s.id} value={s.id}>
                {s.name}
              </option>
            ))}
          </select>
        )}
      </Field>
      {state?.status === "loading" ? <p className="muted">Reading the inventory…</p> : null}
      {state?.status === "error" ? (
        <p className="field-error">The inventory could not be read: {state.error.message}</p>
      ) : null}
      <Field label="Host or cluster">
        {(id) => (
          <select
            id={id}
            value={plan.placement}
            onChange={(e) => onChange({ placement: e.target.value, datastore: "" })}
          >
            <option value="">Choose…</option>
            {placements.map((p) => (
              <option key={p.value} value={p.value}>
                {p.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Datastore">
        {(id) => (
          <select id={id} value={plan.datastore} onChange={(e) => onChange({ datastore: e.target.value })}>
            <option value="">Choose…</option>
            {usable.map((d) => (
              <option key={`${d.datacenter}/${d.name}`} value={d.name}>
                {d.label}
              </option>
            ))}
          </select>
        )}
      </Field>
      <Field label="Name of the new VM">
        {(id) => <input id={id} value={plan.name} onChange={(e) => onChange({ name: e.target.value })} />}
      </Field>
      <label className="choice">
        <input
          type="checkbox"
          checked={plan.powerOn}
          onChange={(e) => onChange({ powerOn: e.target.checked })}
        />
        Power it on when restored
      </label>
    </div>
  );
}
