/**
 * The SOAP methods the proxy takes part in: snapshot creation and removal (freeze and drop the base
 * disks before the client learns the task), QueryChangedDiskAreas (answered here, vcsim lacks it),
 * and PropertyCollector answers (changeIds injected).
 */
import { changedAreas, diskChangeInfoXml, type AnswerLimits } from "./changed-areas.js";
import { parseChangeId } from "./change-id.js";
import { locateDisk } from "./disk-files.js";
import type { FrozenDiskStore } from "./frozen-disks.js";
import {
  injectedFaultEnvelope,
  invalidArgumentEnvelope,
  methodResponse,
  vimFaultEnvelope,
} from "./soap-faults.js";
import { injectChangeIds } from "./soap-rewrite.js";
import type { VimCalls } from "./vim-calls.js";
import { child, escapeXml, moref, parseXml, soapBodyMethod, text } from "./xml-read.js";
import type { MoRef, XmlNode } from "./xml-read.js";

/** An answer the proxy makes itself, instead of vcsim's. */
export interface OwnAnswer {
  status: number;
  xml: string;
}

export const PROPERTY_METHODS = new Set([
  "RetrieveProperties",
  "RetrievePropertiesEx",
  "ContinueRetrievePropertiesEx",
  "WaitForUpdates",
  "WaitForUpdatesEx",
  "CheckForUpdates",
]);

export class SnapshotHooks {
  /** Each VM's CBT flag as last read from vcsim, when the proxy models it. */
  private readonly tracking = new Map<string, boolean>();

  constructor(
    private readonly store: FrozenDiskStore,
    private readonly vim: VimCalls,
    private readonly datastoreDir: (name: string) => string,
    private readonly limits: AnswerLimits,
    /** Follow each VM's changeTrackingEnabled like ESXi, instead of tracking every disk. */
    private readonly modelChangeTracking: boolean,
  ) {}

  private async refreshTracking(vm: string, cookie: string | undefined): Promise<boolean> {
    const enabled = await this.vim.changeTrackingEnabled({ type: "VirtualMachine", value: vm }, cookie);
    // Switching CBT on starts a new tracking instance: changeIds from an earlier period are void.
    if (enabled && this.tracking.get(vm) === false) this.store.resetTracking(vm);
    this.tracking.set(vm, enabled);
    return enabled;
  }

  /** The task a *_Task method answered with, or undefined for a fault. */
  private static taskOf(answer: string): MoRef | undefined {
    const method = soapBodyMethod(parseXml(answer));
    return method?.name.endsWith("_TaskResponse") ? moref(child(method.node, "returnval")) : undefined;
  }

  /** Runs once vcsim accepted CreateSnapshot_Task, before the client sees the task. */
  async afterCreateSnapshot(vm: MoRef, answer: string, cookie: string | undefined): Promise<void> {
    const task = SnapshotHooks.taskOf(answer);
    if (!task) return;
    const outcome = await this.vim.waitForTask(task, cookie);
    if (outcome.state !== "success" || outcome.result?.type !== "VirtualMachineSnapshot") return;
    const disks = await this.vim.disks(vm, cookie);
    const sources = disks.map((d) => locateDisk(d, this.datastoreDir));
    const tracked = this.modelChangeTracking ? await this.refreshTracking(vm.value, cookie) : true;
    await this.store.freeze(outcome.result.value, vm.value, sources, tracked);
  }

  /** After ReconfigVM_Task, which may switch CBT on or off. */
  async afterReconfigure(vm: MoRef, answer: string, cookie: string | undefined): Promise<void> {
    const task = SnapshotHooks.taskOf(answer);
    if (!this.modelChangeTracking || !task) return;
    await this.vim.waitForTask(task, cookie);
    await this.refreshTracking(vm.value, cookie);
  }

  /** After RemoveSnapshot_Task or RemoveAllSnapshots_Task: drops what vcsim's tree no longer has. */
  async afterRemoveSnapshot(target: MoRef, answer: string, cookie: string | undefined): Promise<void> {
    const vm = target.type === "VirtualMachine" ? target.value : this.store.snapshot(target.value)?.vm;
    const task = SnapshotHooks.taskOf(answer);
    if (vm === undefined || !task) return;
    await this.vim.waitForTask(task, cookie);
    const present = await this.vim.snapshotTree({ type: "VirtualMachine", value: vm }, cookie);
    for (const record of this.store.snapshotsOf(vm)) {
      if (!present.has(record.snapshot)) await this.store.drop(record.snapshot);
    }
  }

  async rewriteProperties(answer: string, cookie: string | undefined): Promise<string> {
    if (this.modelChangeTracking) {
      const unknown = new Set<string>();
      injectChangeIds(answer, (owner) => {
        if (owner.type === "VirtualMachine" && !this.tracking.has(owner.value)) unknown.add(owner.value);
        return undefined;
      });
      for (const vm of unknown) await this.refreshTracking(vm, cookie);
    }
    return injectChangeIds(answer, (owner, fileName) => {
      if (owner.type === "VirtualMachine") {
        const tracked = !this.modelChangeTracking || this.tracking.get(owner.value) === true;
        return tracked ? this.store.currentChangeId(owner.value, fileName) : undefined;
      }
      if (owner.type === "VirtualMachineSnapshot") return this.store.snapshotChangeId(owner.value, fileName);
      return undefined;
    });
  }

  async queryChangedDiskAreas(call: XmlNode, cookie: string | undefined): Promise<OwnAnswer> {
    const vm = moref(child(call, "_this"));
    const snapshot = moref(child(call, "snapshot"));
    const deviceKey = Number(text(child(call, "deviceKey")));
    const startOffset = Number(text(child(call, "startOffset")));
    const changeId = text(child(call, "changeId")) ?? "";
    const fault = (xml: string): OwnAnswer => ({ status: 500, xml });

    if (!vm) return fault(invalidArgumentEnvelope("_this"));
    if (!(await this.vim.sessionIsValid(cookie))) {
      return fault(injectedFaultEnvelope({ kind: "NotAuthenticated", object: vm }));
    }
    if (!snapshot) {
      // ESXi allows this only for a powered-off VM; the harness tracks snapshots only.
      return fault(
        invalidArgumentEnvelope("snapshot", "A specified parameter was not correct: snapshot (test harness)"),
      );
    }
    const record = this.store.snapshot(snapshot.value);
    if (!record) {
      return fault(
        vimFaultEnvelope(
          "ManagedObjectNotFound",
          `The object 'vim.vm.Snapshot:${snapshot.value}' has already been deleted or has not been completely created`,
          `<obj type="VirtualMachineSnapshot">${escapeXml(snapshot.value)}</obj>`,
        ),
      );
    }
    if (record.vm !== vm.value) return fault(invalidArgumentEnvelope("snapshot"));
    const disk = record.disks.find((d) => d.source.deviceKey === deviceKey);
    if (!disk) return fault(invalidArgumentEnvelope("deviceKey"));
    if (!record.tracked) {
      // What ESXi answers for a snapshot taken while CBT was off.
      return fault(
        vimFaultEnvelope(
          "FileFault",
          `Error caused by file ${disk.source.fileName}`,
          `<file>${escapeXml(disk.source.fileName)}</file>`,
        ),
      );
    }
    const size = disk.generation.blocks.size;
    if (!Number.isSafeInteger(startOffset) || startOffset < 0 || startOffset > size) {
      return fault(invalidArgumentEnvelope("startOffset"));
    }

    let since: ReturnType<FrozenDiskStore["changesSince"]> = "allocated";
    if (changeId !== "*") {
      const parsed = parseChangeId(changeId);
      since = parsed && this.store.changesSince(vm.value, disk, parsed);
      // ESXi's answer to a changeId from before a CBT reset or from another disk.
      if (!since) return fault(invalidArgumentEnvelope("changeId"));
    }
    const info = changedAreas(disk.generation.blocks, since, startOffset, this.limits);
    return { status: 200, xml: methodResponse("QueryChangedDiskAreas", diskChangeInfoXml(info)) };
  }
}
