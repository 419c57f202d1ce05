/**
 * Which kind of backup a job's run takes for one VM: incremental, except for the periodic active
 * full (everything read again, nothing taken from the parent), which bounds how long a chain of
 * changed-block answers is trusted.
 */
import type { BackupKind } from "../services/repository-service.js";
import type { JobSettings } from "./job-settings.js";

const DAY_MS = 24 * 3600 * 1000;

export function backupKindFor(
  settings: Pick<JobSettings, "activeFull" | "timeZone">,
  now: Date,
  lastFull: Date | null,
): BackupKind {
  const policy = settings.activeFull;
  if (!policy) return "incremental";
  if (!lastFull) return "active-full";
  if (policy.kind === "every-weeks") {
    return now.getTime() - lastFull.getTime() >= policy.weeks * 7 * DAY_MS - DAY_MS / 2
      ? "active-full"
      : "incremental";
  }
  const today = localDay(now, settings.timeZone);
  return today.weekday === policy.day && localDay(lastFull, settings.timeZone).date !== today.date
    ? "active-full"
    : "incremental";
}

function localDay(when: Date, timeZone: string | undefined): { date: string; weekday: number } {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "2-digit",
    day: "2-digit",
    weekday: "short",
  }).formatToParts(when);
  const get = (t: string): string => parts.find((p) => p.type === t)?.value ?? "";
  const weekday = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"].indexOf(get("weekday"));
  return { date: `${get("year")}-${get("month")}-${get("day")}`, weekday };
}
