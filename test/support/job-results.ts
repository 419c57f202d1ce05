/** JobResults as the job runner makes them, for tests of what reads them (reports, digests). */
import type { JobResult, RunState, VmResult } from "../../main/jobs/job-runner.js";

export const GiB = 1024 ** 3;
export const MiB = 1024 ** 2;

export function vmResult(name: string, extra: Partial<VmResult> = {}): VmResult {
  return {
    vm: { key: `/dc/vm/${name}`, name },
    state: "success",
    kind: "incremental",
    attempts: 1,
    restorePointId: `rp-${name}`,
    bytesRead: GiB,
    bytesStored: 100 * MiB,
    messages: [],
    startedAt: "2026-11-27T22:00:00.000Z",
    finishedAt: "2026-11-27T22:12:03.000Z",
    ...extra,
  };
}

export function jobResult(state: RunState, vms: VmResult[], extra: Partial<JobResult> = {}): JobResult {
  return {
    state,
    vms,
    followUps: [],
    stoppedByWindow: false,
    startedAt: "2026-11-27T22:00:00.000Z",
    finishedAt: "2026-11-27T22:40:00.000Z",
    ...extra,
  };
}
