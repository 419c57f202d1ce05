/**
 * Restores started from the app, to a disk file (any format: migrations), a new VM on vSphere, or
 * the original VM in place. Passwords and targets are checked before the call answers; the restore
 * then runs in the background as a run.
 */
import path from "node:path";
import type { ApiInput } from "../../preload/contract.js";
import type { CatalogRepository } from "../catalog/catalog-api.js";
import { SnapferryError } from "../common/errors.js";
import type { PasswordProvider } from "../repository/repository.js";
import { parseVsphereUrl } from "../sources/vsphere/vsphere-url.js";
import { restore } from "./repository-service.js";
import { restoreToOriginalVm } from "./vsphere-restore-original.js";
import { restoreToVsphere } from "./vsphere-restore.js";
import { openRepository, repositoryOf, type AppContext } from "./app-context.js";
import { inventoryPath } from "./app-backup.js";
import { connectorFor, login, sourceForServer, vspherePassword, vsphereSourceOf } from "./app-vsphere.js";
import type { RunContext, RunOutcome } from "./run-registry.js";

type RestoreInput = ApiInput<"jobs.restore">;
type Work = (run: RunContext) => Promise<RunOutcome>;

export async function startRestore(ctx: AppContext, input: RestoreInput): Promise<{ runId: string }> {
  const repo = repositoryOf(ctx, input.repositoryId);
  const { repository, password } = await openRepository(ctx, repo, input.password);
  // The manifest is read now, so an unknown id is answered at once rather than as a failed run.
  const rp = await repository.resolveRestorePoint(input.restorePointId);
  const what = rp.source.vm?.name ?? path.basename(rp.source.location);
  const { work, where } = await restoreWork(ctx, input, repo, password.provider, rp.source.location);
  const run = ctx.runs.start(
    {
      jobId: null,
      kind: "restore",
      title: `Restore ${what} (${rp.time}) to ${where}`,
      repositoryId: repo.repositoryId,
      cancellable: true,
    },
    work,
  );
  return { runId: run.id };
}

async function restoreWork(
  ctx: AppContext,
  input: RestoreInput,
  repo: CatalogRepository,
  password: PasswordProvider | undefined,
  origin: string,
): Promise<{ work: Work; where: string }> {
  const common = { repo: repo.path, ...(password ? { password } : {}), restorePoint: input.restorePointId };
  const target = input.target;
  if (target.kind === "file") {
    const file = path.resolve(target.path);
    const work: Work = async (run) => {
      const result = await restore({
        ...common,
        target: file,
        format: target.format,
        ...(target.disk !== undefined ? { disk: target.disk } : {}),
        onProgress: run.progress,
        signal: run.signal,
      });
      for (const written of result.written) run.note(`restored ${written}`);
      return {};
    };
    return { work, where: file };
  }
  if (target.kind === "vsphere-new") {
    const vsphere = vsphereSourceOf(ctx, target.sourceId);
    const connect = await connectorFor(ctx, vsphere, input.vspherePassword, "vspherePassword");
    const location = {
      ...parseVsphereUrl(`vsphere://${vsphere.location}`, "a vSphere server"),
      path: inventoryPath(target.placement),
    };
    const work: Work = async (run) => {
      const result = await restoreToVsphere({
        ...common,
        location,
        datastore: target.datastore,
        name: target.name,
        powerOn: target.powerOn,
        connect,
        onProgress: run.progress,
        onNote: run.note,
        signal: run.signal,
      });
      run.note(`created VM ${result.vm.name} on ${result.server} (${result.vm.vmPathName})`);
      return {};
    };
    return { work, where: `new VM ${target.name} on ${vsphere.location}` };
  }
  return originalRestoreWork(ctx, input, common, origin, target.disk);
}

/** In place: the UI had the user confirm (confirmOverwrite); the plan is logged before anything changes. */
async function originalRestoreWork(
  ctx: AppContext,
  input: RestoreInput,
  common: { repo: string; password?: PasswordProvider; restorePoint: string },
  location: string,
  disk: number | undefined,
): Promise<{ work: Work; where: string }> {
  if (!/^vsphere:\/\//i.test(location)) {
    throw new SnapferryError(
      "usage",
      `this restore point is a backup of ${location}, not of a vSphere VM, so it has no original VM to restore to`,
      "Restore it to a disk file or as a new VM instead.",
    );
  }
  const server = parseVsphereUrl(location, "the restore point's vsphere:// address").server;
  const source = sourceForServer(ctx, server);
  if (!source) {
    throw new SnapferryError(
      "not-found",
      `Snapferry has no login for ${server}, where this VM was backed up`,
      "Add the server in Settings, then restore again.",
    );
  }
  const password = await vspherePassword(
    ctx,
    vsphereSourceOf(ctx, source.id),
    input.vspherePassword,
    "vspherePassword",
  );
  const work: Work = async (run) => {
    const result = await restoreToOriginalVm({
      ...common,
      ...(disk !== undefined ? { disk } : {}),
      connect: (where) => login(ctx, { location: where, user: source.user, password }),
      confirm: async (plan) => {
        run.note(
          `replacing ${plan.disks.length} disk(s) of VM ${plan.vm.name} on ${plan.server}; it was ${plan.powerState}`,
        );
        return true;
      },
      onProgress: run.progress,
      onNote: run.note,
      signal: run.signal,
    });
    run.note(`restored ${result.plan.disks.length} disk(s) of VM ${result.plan.vm.name} in place`);
    return {};
  };
  return { work, where: `its original VM on ${server}` };
}
