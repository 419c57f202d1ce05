/**
 * The job editor's working copy: what the form fields hold, turned into JobSettings only on Save.
 * Fields the form does not show (a folder selection or a time zone from an imported job) are kept
 * as they came, so editing a job never drops part of it.
 */
import type { JobSettings, RetentionSettings } from "../../../../main/jobs/job-settings";
import type { JobView } from "../../../../preload/contract";
import {
  emptyScheduleForm,
  formFromSchedule,
  isTimeOfDay,
  scheduleFromForm,
  type ScheduleForm,
  type Weekday,
} from "../../lib/schedule-text";

export type ActiveFullDraft =
  { kind: "none" } | { kind: "every-weeks"; weeks: number } | { kind: "weekday"; day: Weekday };

export interface CopyDraft {
  repositoryId: string;
  retention: RetentionSettings | null;
}

export interface VmFollow {
  kind: "vms" | "folder" | "tag";
  /** The folder's inventory path or the tag's name; unused for picked VMs. */
  value: string;
}

export interface JobDraft {
  id: string | undefined;
  name: string;
  sourceId: string;
  /** vSphere VMs by inventory path; unused for local sources. */
  vms: string[];
  /** For vSphere: the VMs picked by path, or every VM in a folder or with a tag (new ones included). */
  follow: VmFollow;
  repositoryId: string;
  schedule: ScheduleForm;
  timeZone: string | undefined;
  activeFull: ActiveFullDraft;
  windowEnd: string;
  concurrency: number;
  attempts: number;
  backoffSeconds: number;
  allowCrashConsistent: boolean;
  retention: RetentionSettings | null;
  copies: CopyDraft[];
}

export const DEFAULT_RETENTION: RetentionSettings = { last: 7, daily: 7, weekly: 4, monthly: 6, yearly: 0 };

export function newDraft(sourceId = "", repositoryId = ""): JobDraft {
  return {
    id: undefined,
    name: "",
    sourceId,
    vms: [],
    follow: { kind: "vms", value: "" },
    repositoryId,
    schedule: emptyScheduleForm(),
    timeZone: undefined,
    activeFull: { kind: "none" },
    windowEnd: "",
    concurrency: 1,
    attempts: 2,
    backoffSeconds: 300,
    allowCrashConsistent: false,
    retention: { ...DEFAULT_RETENTION },
    copies: [],
  };
}

export function draftFromJob(job: JobView): JobDraft {
  const s = job.settings;
  return {
    id: job.id,
    name: job.name,
    sourceId: s.sourceId,
    vms: s.selection.kind === "vms" ? [...s.selection.vms] : [],
    follow:
      s.selection.kind === "folder"
        ? { kind: "folder", value: s.selection.folder }
        : s.selection.kind === "tag"
          ? { kind: "tag", value: s.selection.tag }
          : { kind: "vms", value: "" },
    repositoryId: s.repositoryId,
    schedule: formFromSchedule(s.schedule),
    timeZone: s.timeZone,
    activeFull: s.activeFull ?? { kind: "none" },
    windowEnd: s.window?.end ?? "",
    concurrency: s.concurrency,
    attempts: s.retries.attempts,
    backoffSeconds: s.retries.backoffSeconds,
    allowCrashConsistent: s.allowCrashConsistent,
    retention: s.retention ?? null,
    copies: s.copies.map((c) => ({ repositoryId: c.repositoryId, retention: c.retention ?? null })),
  };
}

export type SettingsResult = { ok: true; settings: JobSettings } | { ok: false; problem: string };

/** The settings to send, or the first thing the user still has to fix (main checks again). */
export function settingsFromDraft(draft: JobDraft, isVsphere: boolean): SettingsResult {
  if (!draft.name.trim()) return { ok: false, problem: "Give the job a name." };
  if (!draft.sourceId) return { ok: false, problem: "Choose a source." };
  if (!draft.repositoryId) return { ok: false, problem: "Choose a repository." };
  const selection = selectionOf(draft, isVsphere);
  if (!selection) return { ok: false, problem: "Choose at least one VM." };
  const schedule = scheduleFromForm(draft.schedule);
  if (!schedule.ok) return schedule;
  const windowEnd = draft.windowEnd.trim();
  if (windowEnd && !isTimeOfDay(windowEnd)) {
    return { ok: false, problem: "Give the backup window's end as HH:MM, or leave it empty." };
  }
  if (draft.copies.some((c) => !c.repositoryId))
    return { ok: false, problem: "Choose each copy's repository." };
  if (draft.copies.some((c) => c.repositoryId === draft.repositoryId)) {
    return { ok: false, problem: "A copy must go to a second repository, not the job's own." };
  }
  const settings: JobSettings = {
    version: 1,
    sourceId: draft.sourceId,
    selection,
    repositoryId: draft.repositoryId,
    schedule: schedule.schedule,
    copies: draft.copies.map((c) => ({
      repositoryId: c.repositoryId,
      ...(c.retention ? { retention: c.retention } : {}),
    })),
    concurrency: draft.concurrency,
    retries: { attempts: draft.attempts, backoffSeconds: draft.backoffSeconds },
    allowCrashConsistent: draft.allowCrashConsistent,
    ...(draft.activeFull.kind === "none" ? {} : { activeFull: draft.activeFull }),
    ...(draft.timeZone ? { timeZone: draft.timeZone } : {}),
    ...(windowEnd ? { window: { end: windowEnd } } : {}),
    ...(draft.retention ? { retention: draft.retention } : {}),
  };
  return { ok: true, settings };
}

function selectionOf(draft: JobDraft, isVsphere: boolean): JobSettings["selection"] | null {
  if (!isVsphere) return { kind: "source" };
  const value = draft.follow.value.trim();
  if (draft.follow.kind === "folder") return value ? { kind: "folder", folder: value } : null;
  if (draft.follow.kind === "tag") return value ? { kind: "tag", tag: value } : null;
  return draft.vms.length > 0 ? { kind: "vms", vms: draft.vms } : null;
}
