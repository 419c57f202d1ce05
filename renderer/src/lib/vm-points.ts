/** Which restore points belong to a VM of the inventory. */
import type { CatalogRestorePoint, CatalogSource } from "../../../main/catalog/catalog-api";
import type { VmItem } from "./vm-items";

/**
 * By UUID when both sides know one (the same VM, even renamed or moved); otherwise by where the
 * backup read from: the vSphere inventory path, or the local source's location.
 */
export function pointsOfVm(
  vm: VmItem,
  source: CatalogSource | undefined,
  points: readonly CatalogRestorePoint[],
): CatalogRestorePoint[] {
  return points.filter((rp) => {
    if (rp.vmUuid && vm.uuids.length > 0) return vm.uuids.includes(rp.vmUuid);
    if (vm.backupPath) return rp.source.endsWith(`/${vm.backupPath}`);
    return source !== undefined && rp.source === source.location && (rp.vmName ?? vm.name) === vm.name;
  });
}
