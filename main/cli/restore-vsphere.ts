/**
 * The vSphere side of `snapferry restore`: `--to vsphere://HOST[:PORT]/DATACENTER/HOST-OR-CLUSTER`
 * creates a new VM there from the restore point, logging in the way every vSphere command does.
 */
import { UsageError } from "../common/errors.js";
import type { RepoRef } from "../services/repository-service.js";
import { isVsphereUrl, parseVsphereUrl } from "../sources/vsphere/vsphere-url.js";
import { str, type CommandContext } from "./command.js";
import { connectFromCli, vsphereLoginOptions } from "./vsphere-login.js";

export const vsphereRestoreOptions = {
  ...vsphereLoginOptions,
  to: { type: "string" },
  datastore: { type: "string" },
  name: { type: "string" },
  "power-on": { type: "boolean" },
  "keep-on-failure": { type: "boolean" },
} as const;

export const VSPHERE_RESTORE_USAGE =
  "restore --repo DIR RESTORE_POINT --to vsphere://HOST[:PORT]/DATACENTER/HOST-OR-CLUSTER --datastore DS --name NEW-NAME --user USER [--accept-thumbprint SHA256] [--power-on] [--keep-on-failure] [--json]";

const WHAT = "vsphere://HOST[:PORT]/DATACENTER/HOST-OR-CLUSTER";

/** Restores to a new VM when --to is given; false when the restore goes to a file (--target). */
export async function restoreToVsphereIfAsked(
  ctx: CommandContext,
  ref: RepoRef,
  restorePoint: string,
): Promise<boolean> {
  const to = str(ctx, "to");
  if (to === undefined) {
    const stray = ["datastore", "name", "power-on", "keep-on-failure"].find(
      (o) => ctx.values[o] !== undefined,
    );
    if (stray) throw new UsageError(`--${stray} needs --to ${WHAT}`, "Give --to to restore to a new VM.");
    return false;
  }
  if (!isVsphereUrl(to)) {
    throw new UsageError(
      `--to takes a ${WHAT} address, not "${to}"`,
      "Use --target PATH to restore to a file.",
    );
  }
  if (str(ctx, "target") !== undefined) {
    throw new UsageError(
      "--to and --target cannot be used together",
      "Restore to a new VM (--to) or to a file (--target).",
    );
  }
  const location = parseVsphereUrl(to, WHAT);
  const datastore = required(ctx, "datastore", "the datastore for the VM's files and disks");
  const name = required(ctx, "name", "the name of the new VM");
  const onNote = (note: string): unknown =>
    ctx.out.json ? ctx.out.object({ note }) : process.stderr.write(`note: ${note}\n`);
  const result = await (
    await import("../services/vsphere-restore.js")
  ).restoreToVsphere({
    ...ref,
    restorePoint,
    location,
    datastore,
    name,
    powerOn: ctx.values["power-on"] === true,
    keepOnFailure: ctx.values["keep-on-failure"] === true,
    connect: () => connectFromCli(location, ctx),
    onProgress: (e) => ctx.out.progress(e),
    onNote,
    signal: ctx.signal,
  });
  ctx.out.endProgress();
  const host = result.host && result.host !== result.computeResource ? [result.host] : [];
  const place = [result.datacenter, result.computeResource, ...host].join("/");
  if (ctx.out.json) {
    ctx.out.object({
      restorePoint: result.restorePoint.id,
      server: result.server,
      vm: { name: result.vm.name, moref: result.vm.ref.value, vmPathName: result.vm.vmPathName },
      datacenter: result.datacenter,
      computeResource: result.computeResource,
      host: result.host ?? null,
      datastore: result.datastore,
      disks: result.disks,
      poweredOn: result.poweredOn,
      notes: result.notes,
    });
    return true;
  }
  for (const disk of result.disks) ctx.out.line(`restored disk ${disk.index} to ${disk.flatFile}`);
  ctx.out.line(
    `restored VM ${result.vm.name} (${result.vm.vmPathName}) on ${result.server} ${place}` +
      (result.poweredOn ? ", powered on" : ""),
  );
  return true;
}

function required(ctx: CommandContext, option: string, what: string): string {
  const value = str(ctx, option);
  if (!value) throw new UsageError(`--${option} is required with --to`, `Give ${what} with --${option}.`);
  return value;
}
