/**
 * Waiting for a vim task: poll its `info` with a growing interval (fast for the many tasks that end
 * in a fraction of a second, gentle on the server for the long ones), report progress, and turn a
 * failed task's error into the same mapped fault a SOAP fault would give.
 */
import { setTimeout as sleep } from "node:timers/promises";
import { CancelledError } from "../../common/errors.js";
import { formatMoRef, type MoRef } from "./moref.js";
import { retrieveProperties } from "./property-collector.js";
import { child, requireChild, requireText, text, type XmlNode } from "./soap-xml.js";
import type { VimClient } from "./vim-client.js";
import { faultFromLocalized } from "./vim-faults.js";
import { VsphereProtocolError, VsphereTimeoutError } from "./vsphere-errors.js";

export type TaskState = "queued" | "running" | "success" | "error";

export interface TaskInfo {
  state: TaskState;
  /** Percent done, when the server reports it. */
  progress: number | undefined;
  /** What the task is, for messages: "VirtualMachine.powerOff on DC0_H0_VM0". */
  description: string;
  result: XmlNode | undefined;
  error: XmlNode | undefined;
}

export interface WaitOptions {
  timeoutMs: number;
  onProgress?: (percent: number) => void;
  signal?: AbortSignal;
}

const FIRST_POLL_MS = 100;
const MAX_POLL_MS = 2_000;
const STATES: readonly string[] = ["queued", "running", "success", "error"];

export function parseTaskInfo(info: XmlNode, server: string): TaskInfo {
  const state = requireText(info, "state", server);
  if (!STATES.includes(state)) {
    throw new VsphereProtocolError(`malformed answer from ${server}: unknown task state "${state}"`);
  }
  const progress = Number(text(info, "progress"));
  const what = text(info, "descriptionId") || text(info, "name") || "a task";
  const entity = text(info, "entityName");
  return {
    state: state as TaskState,
    progress: Number.isFinite(progress) && text(info, "progress") !== undefined ? progress : undefined,
    description: entity ? `${what} on ${entity}` : what,
    result: child(info, "result"),
    error: child(info, "error"),
  };
}

/** Reads a task's info once. */
export async function readTaskInfo(client: VimClient, task: MoRef, signal?: AbortSignal): Promise<TaskInfo> {
  const { props, missing } = await retrieveProperties(client, task, ["info"], { signal });
  const info = props.get("info");
  if (!info) {
    throw (
      missing[0]?.fault ??
      new VsphereProtocolError(`malformed answer from ${client.server}: ${formatMoRef(task)} has no info`)
    );
  }
  return parseTaskInfo(info, client.server);
}

/**
 * Waits until `task` ends. Resolves with info.result (undefined for tasks without a result), or
 * throws the task's mapped fault, or a vsphere-timeout error once `timeoutMs` has passed (the task
 * may still be running then: the message says so).
 */
export async function waitForTask(
  client: VimClient,
  task: MoRef,
  options: WaitOptions,
): Promise<XmlNode | undefined> {
  const deadline = Date.now() + options.timeoutMs;
  let interval = FIRST_POLL_MS;
  let lastProgress: number | undefined;
  for (;;) {
    const info = await readTaskInfo(client, task, options.signal);
    if (info.state === "success") return info.result;
    if (info.state === "error") throw taskFailure(client, info);
    if (info.progress !== undefined && info.progress !== lastProgress) {
      lastProgress = info.progress;
      options.onProgress?.(info.progress);
    }
    if (Date.now() + interval > deadline) throw taskTimeout(client, task, info, options.timeoutMs);
    await pause(interval, options.signal, info.description);
    interval = Math.min(MAX_POLL_MS, Math.round(interval * 1.5));
  }
}

function taskFailure(client: VimClient, info: TaskInfo): Error {
  const server = client.server;
  if (!info.error)
    return new VsphereProtocolError(`malformed answer from ${server}: a failed task has no info.error`);
  requireChild(info.error, "fault", server);
  return faultFromLocalized(info.error, client.faultContext(info.description));
}

function taskTimeout(client: VimClient, task: MoRef, info: TaskInfo, timeoutMs: number): VsphereTimeoutError {
  return new VsphereTimeoutError(
    `${info.description} (${task.value}) did not finish within ${Math.round(timeoutMs / 1000)} s on ${client.server}` +
      (info.progress !== undefined ? ` (at ${info.progress}%)` : ""),
    "It may still be running: check Recent Tasks in the vSphere Client before trying again.",
  );
}

async function pause(ms: number, signal: AbortSignal | undefined, what: string): Promise<void> {
  try {
    await sleep(ms, undefined, { signal });
  } catch {
    throw new CancelledError(`waiting for ${what}`, "The task itself may still be running on the server.");
  }
}
