/** Restore wizard, step 2: the whole VM, one of its disks, or single files from a disk. */
import type { CatalogRestorePoint } from "../../../../main/catalog/catalog-api";
import { formatBytes } from "../../lib/format";

export function WhatStep(props: {
  point: CatalogRestorePoint;
  disk: number | "all";
  files: boolean;
  onChange(disk: number | "all", files: boolean): void;
}) {
  const { point, disk, files } = props;
  return (
    <fieldset>
      <legend>What to restore</legend>
      <label className="choice">
        <input
          type="radio"
          name="restore-what"
          checked={disk === "all" && !files}
          onChange={() => props.onChange("all", false)}
        />
        The whole VM ({point.disks.length} disk{point.disks.length === 1 ? "" : "s"})
      </label>
      {point.disks.map((d) => (
        <label key={d.index} className="choice">
          <input
            type="radio"
            name="restore-what"
            checked={disk === d.index && !files}
            onChange={() => props.onChange(d.index, false)}
          />
          Disk {d.index}: {d.name} ({formatBytes(d.size)})
        </label>
      ))}
      {point.disks.map((d) => (
        <label key={`files-${d.index}`} className="choice">
          <input
            type="radio"
            name="restore-what"
            checked={disk === d.index && files}
            onChange={() => props.onChange(d.index, true)}
          />
          Files: single files from disk {d.index} ({d.name})
        </label>
      ))}
    </fieldset>
  );
}
