/** Restore wizard, step 3: a disk file, a new VM on vSphere, or the original location. */
import type { CatalogRestorePoint } from "../../../../main/catalog/catalog-api";
import { TextField } from "../../components/text-field";
import { DiskFormatField } from "../../components/disk-format-field";
import { canRestoreToOriginal, type RestorePlan } from "../../lib/restore-plan";
import { useSourcesStore } from "../../stores/sources-store";
import { NewVmFields } from "./new-vm-fields";

export function WhereStep(props: {
  point: CatalogRestorePoint;
  plan: RestorePlan;
  onChange(plan: RestorePlan): void;
}) {
  const { point, plan } = props;
  const set = (patch: Partial<RestorePlan>) => props.onChange({ ...plan, ...patch });
  const vsphereSources = useSourcesStore((s) => s.sources).filter((s) => s.kind === "vsphere");
  const original = canRestoreToOriginal(point);
  return (
    <div>
      <fieldset>
        <legend>Where to</legend>
        <label className="choice">
          <input
            type="radio"
            name="restore-where"
            checked={plan.kind === "file"}
            onChange={() => set({ kind: "file" })}
          />
          A disk file (raw, VMDK, qcow2 or VHDX)
        </label>
        <label className="choice">
          <input
            type="radio"
            name="restore-where"
            checked={plan.kind === "vsphere-new"}
            disabled={vsphereSources.length === 0 || plan.disk !== "all"}
            onChange={() =>
              set({ kind: "vsphere-new", sourceId: plan.sourceId || (vsphereSources[0]?.id ?? "") })
            }
          />
          A new VM on vSphere
          {vsphereSources.length === 0 ? (
            <span className="muted"> — add a vSphere server in Settings first</span>
          ) : null}
          {vsphereSources.length > 0 && plan.disk !== "all" ? (
            <span className="muted"> — restores the whole VM</span>
          ) : null}
        </label>
        <label className="choice">
          <input
            type="radio"
            name="restore-where"
            checked={plan.kind === "vsphere-original"}
            disabled={!original}
            onChange={() => set({ kind: "vsphere-original", confirmOverwrite: false })}
          />
          The original location{" "}
          {original ? (
            <span className="muted">— overwrites the VM&apos;s disks</span>
          ) : (
            <span className="muted">— only for backups of vSphere VMs</span>
          )}
        </label>
      </fieldset>
      {plan.kind === "file" ? (
        <div className="form-grid">
          <DiskFormatField label="Format" value={plan.format} onChange={(format) => set({ format })} />
          <TextField
            label="Path"
            hint={
              plan.disk === "all" && point.disks.length > 1
                ? "A folder: each disk is written there as its own file."
                : "The file to write; it must not exist yet."
            }
            value={plan.path}
            placeholder="/mnt/restore/disk.qcow2"
            onChange={(path) => set({ path })}
          />
        </div>
      ) : null}
      {plan.kind === "vsphere-new" ? (
        <NewVmFields sources={vsphereSources} plan={plan} onChange={set} />
      ) : null}
    </div>
  );
}
