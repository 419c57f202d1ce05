/** Restore wizard, step 2: the whole VM or one of its disks. */
import type { CatalogRestorePoint } from "../../../../main/catalog/catalog-api";
import { formatBytes } from "../../lib/format";

export function WhatStep(props: {
  point: CatalogRestorePoint;
  disk: number | "all";
  onChange(disk: number | "all"): void;
}) {
  const { point, disk } = props;
  return (
    <fieldset>
      <legend>What to restore</legend>
      <label className="choice">
        <input
          type="radio"
          name="restore-what"
          checked={disk === "all"}
          onChange={() => props.onChange("all")}
        />
        The whole VM ({point.disks.length} disk{point.disks.length === 1 ? "" : "s"})
      </label>
      {point.disks.map((d) => (
        <label key={d.index} className="choice">
          <input
            type="radio"
            name="restore-what"
            checked={disk === d.index}
            onChange={() => props.onChange(d.index)}
          />
          Disk {d.index}: {d.name} ({formatBytes(d.size)})
        </label>
      ))}
    </fieldset>
  );
}
