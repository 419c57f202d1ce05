/** The choice of disk image format a restore or a finalize writes (raw, VMDK, qcow2, VHDX…). */
import { DISK_FORMATS } from "../../../preload/contract";
import { FORMAT_LABELS, type DiskFormat } from "../lib/restore-plan";
import { Field } from "./field";

export function DiskFormatField(props: {
  label: string;
  value: DiskFormat;
  onChange(format: DiskFormat): void;
}) {
  return (
    <Field label={props.label}>
      {(id) => (
        <select
          id={id}
          value={props.value}
          onChange={(e) => props.onChange(DISK_FORMATS.find((f) => f === e.target.value) ?? props.value)}
        >
          {DISK_FORMATS.map((f) => (
            <option key={f} value={f}>
              {FORMAT_LABELS[f]}
            </option>
          ))}
        </select>
      )}
    </Field>
  );
}
