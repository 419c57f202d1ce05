/**
 * The schedule as the job editor's plain form holds it, and the Schedule objects main stores. The
 * form keeps every field (time, days, day of month, cron) so switching between "Every day" and
 * "Weekly" does not lose what the user typed; only the chosen kind's fields reach main.
 */
import type { JobSettings } from "../../../main/jobs/job-settings";

export type Schedule = NonNullable<JobSettings["schedule"]>;
export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6;
export type ScheduleKind = "none" | Schedule["kind"];

export interface ScheduleForm {
  kind: ScheduleKind;
  time: string;
  days: Weekday[];
  day: number;
  expression: string;
}

/** Monday first, as admins read a week; the values are cron's (0 = Sunday). */
export const WEEKDAYS: { day: Weekday; short: string; name: string }[] = [
  { day: 1, short: "Mon", name: "Monday" },
  { day: 2, short: "Tue", name: "Tuesday" },
  { day: 3, short: "Wed", name: "Wednesday" },
  { day: 4, short: "Thu", name: "Thursday" },
  { day: 5, short: "Fri", name: "Friday" },
  { day: 6, short: "Sat", name: "Saturday" },
  { day: 0, short: "Sun", name: "Sunday" },
];

const TIME = /^([01]?\d|2[0-3]):[0-5]\d$/;

export function isTimeOfDay(text: string): boolean {
  return TIME.test(text);
}

export function emptyScheduleForm(): ScheduleForm {
  return { kind: "daily", time: "22:00", days: [1], day: 1, expression: "0 22 * * *" };
}

export function formFromSchedule(schedule: Schedule | null): ScheduleForm {
  const form = emptyScheduleForm();
  if (!schedule) return { ...form, kind: "none" };
  switch (schedule.kind) {
    case "cron":
      return { ...form, kind: "cron", expression: schedule.expression };
    case "weekly":
      return { ...form, kind: "weekly", time: schedule.time, days: [...schedule.days] };
    case "monthly":
      return { ...form, kind: "monthly", time: schedule.time, day: schedule.day };
    default:
      return { ...form, kind: schedule.kind, time: schedule.time };
  }
}

export type ScheduleResult = { ok: true; schedule: Schedule | null } | { ok: false; problem: string };

/** The Schedule the form describes, or what is still wrong with it, in the form's words. */
export function scheduleFromForm(form: ScheduleForm): ScheduleResult {
  if (form.kind === "none") return { ok: true, schedule: null };
  if (form.kind === "cron") {
    const expression = form.expression.trim().replace(/\s+/g, " ");
    if (!expression) return { ok: false, problem: "Give a cron expression, e.g. 0 22 * * 1-5." };
    return { ok: true, schedule: { kind: "cron", expression } };
  }
  const time = form.time.trim();
  if (!isTimeOfDay(time)) return { ok: false, problem: "Give the time as HH:MM, e.g. 22:30." };
  switch (form.kind) {
    case "weekly":
      if (form.days.length === 0) return { ok: false, problem: "Tick at least one day of the week." };
      return { ok: true, schedule: { kind: "weekly", days: sortedDays(form.days), time } };
    case "monthly":
      if (!Number.isInteger(form.day) || form.day < 1 || form.day > 31) {
        return { ok: false, problem: "Give a day of the month from 1 to 31." };
      }
      return { ok: true, schedule: { kind: "monthly", day: form.day, time } };
    default:
      return { ok: true, schedule: { kind: form.kind, time } };
  }
}

function sortedDays(days: Weekday[]): Weekday[] {
  return [...new Set(days)].sort((a, b) => a - b);
}

/** "every day at 22:00": the words the form's summary line uses (main's scheduleText says the same). */
export function describeSchedule(schedule: Schedule | null): string {
  if (!schedule) return "not scheduled";
  switch (schedule.kind) {
    case "daily":
      return `every day at ${schedule.time}`;
    case "weekdays":
      return `Monday to Friday at ${schedule.time}`;
    case "weekly":
      return `every ${listDays(schedule.days)} at ${schedule.time}`;
    case "monthly":
      return `on day ${schedule.day} of every month at ${schedule.time}`;
    case "cron":
      return `cron "${schedule.expression}"`;
  }
}

function listDays(days: readonly Weekday[]): string {
  const names = WEEKDAYS.filter((w) => days.includes(w.day)).map((w) => w.name);
  if (names.length <= 1) return names.join("");
  return `${names.slice(0, -1).join(", ")} and ${names.at(-1) ?? ""}`;
}
