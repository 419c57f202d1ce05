/** Restore wizard, last step: what will happen, and for the original location an explicit yes. */
import type { CatalogRestorePoint } from "../../../../main/catalog/catalog-api";
import { formatTime } from "../../lib/format";
import { FORMAT_LABELS, overwriteSummary, type RestorePlan } from "../../lib/restore-plan";

export function ConfirmStep(props: {
  point: CatalogRestorePoint;
  plan: RestorePlan;
  onChange(plan: RestorePlan): void;
}) {
  const { point, plan } = props;
  const what =
    plan.disk === "all"
      ? `the whole VM ${point.vmName ?? point.source}`
      : `disk ${point.disks.find((d) => d.index === plan.disk)?.name ?? plan.disk}`;
  return (
    <div>
      <p>
        Restore {what} as it was at {formatTime(point.time)}
        {plan.kind === "file" ? ` to ${plan.path} (${FORMAT_LABELS[plan.format]}).` : null}
        {plan.kind === "vsphere-new"
          ? ` as a new VM "${plan.name}" on ${plan.placement}, datastore ${plan.datastore}.`
          : null}
        {plan.kind === "vsphere-original" ? " to its original location." : null}
      </p>
      {plan.kind === "vsphere-original" ? (
        <div className="warning-box" role="group" aria-label="Overwrite confirmation">
          <p>
            <strong>{overwriteSummary(point, plan.disk)}</strong>
          </p>
          <label className="choice">
            <input
              type="checkbox"
              checked={plan.confirmOverwrite}
              onChange={(e) => props.onChange({ ...plan, confirmOverwrite: e.target.checked })}
            />
            I understand: overwrite {point.vmName ?? "the VM"}&apos;s {plan.disk === "all" ? "disks" : "disk"}
          </label>
        </div>
      ) : null}
    </div>
  );
}
