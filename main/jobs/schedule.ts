/**
 * When a job runs. Users pick from plain forms (every day, weekdays, some days of the week, a day
 * of the month, at a time); power users may give a cron expression. Every form is computed by
 * croner in the machine's (or a given) time zone, which settles daylight saving time the way
 * admins expect: a time that does not exist on the spring-forward day runs just after the gap,
 * and a time that occurs twice on the fall-back day runs once.
 *
 * A monthly run on a day the month lacks (the 31st in April) runs on the month's last day.
 */
import { Cron } from "croner";
import { SnapferryError } from "../common/errors.js";

export type Weekday = 0 | 1 | 2 | 3 | 4 | 5 | 6; // 0 = Sunday, as in cron

export type Schedule =
  | { kind: "daily"; time: string }
  | { kind: "weekdays"; time: string }
  | { kind: "weekly"; days: Weekday[]; time: string }
  | { kind: "monthly"; day: number; time: string }
  | { kind: "cron"; expression: string };

const DAY_NAMES = ["Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"] as const;

function parseTime(time: string): { hour: number; minute: number } {
  const match = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec(time);
  if (!match)
    throw new SnapferryError("usage", `"${time}" is not a time of day`, "Give it as HH:MM, e.g. 22:30.");
  return { hour: Number(match[1]), minute: Number(match[2]) };
}

/** The cron pattern croner iterates; monthly uses every day and a filter (see `matchesDay`). */
function pattern(schedule: Schedule): string {
  if (schedule.kind === "cron") return schedule.expression;
  const { hour, minute } = parseTime(schedule.time);
  switch (schedule.kind) {
    case "daily":
    case "monthly":
      return `${minute} ${hour} * * *`;
    case "weekdays":
      return `${minute} ${hour} * * 1-5`;
    case "weekly":
      if (schedule.days.length === 0)
        throw new SnapferryError("usage", "a weekly schedule needs at least one day");
      return `${minute} ${hour} * * ${[...new Set(schedule.days)].sort().join(",")}`;
  }
}

export function validateSchedule(schedule: Schedule, timeZone?: string): void {
  if (
    schedule.kind === "monthly" &&
    (!Number.isInteger(schedule.day) || schedule.day < 1 || schedule.day > 31)
  ) {
    throw new SnapferryError("usage", `day ${schedule.day} is not a day of the month`, "Choose 1 to 31.");
  }
  try {
    new Cron(pattern(schedule), { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  } catch (err) {
    if (err instanceof SnapferryError) throw err;
    throw new SnapferryError(
      "usage",
      `"${schedule.kind === "cron" ? schedule.expression : JSON.stringify(schedule)}" is not a valid schedule: ${err instanceof Error ? err.message : String(err)}`,
      "A cron expression has five fields: minute hour day-of-month month day-of-week (e.g. 30 22 * * 1-5).",
    );
  }
}

/** The first run strictly after `after`; null when the schedule never runs again. */
export function nextRun(schedule: Schedule, after: Date, timeZone?: string): Date | null {
  validateSchedule(schedule, timeZone);
  const cron = new Cron(pattern(schedule), { paused: true, ...(timeZone ? { timezone: timeZone } : {}) });
  let from = after;
  // Monthly runs test at most one candidate a day; two months of days always find one.
  for (let i = 0; i < 64; i++) {
    const candidate = cron.nextRun(from);
    if (!candidate) return null;
    if (schedule.kind !== "monthly" || matchesDay(candidate, schedule.day, timeZone)) return candidate;
    from = candidate;
  }
  throw new SnapferryError(
    "internal",
    `no monthly run found for day ${schedule.kind === "monthly" ? schedule.day : "?"}`,
  );
}

/** Day `day` of the month, or the month's last day when it is shorter. */
function matchesDay(when: Date, day: number, timeZone: string | undefined): boolean {
  const parts = new Intl.DateTimeFormat("en-US", {
    timeZone,
    year: "numeric",
    month: "numeric",
    day: "numeric",
  }).formatToParts(when);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value);
  const year = get("year");
  const month = get("month");
  const today = get("day");
  const lastDay = new Date(Date.UTC(year, month, 0)).getUTCDate();
  return today === Math.min(day, lastDay);
}

/** "every day at 22:00", "weekdays at 22:00", "Monday and Thursday at 01:30", "day 31 of each month…". */
export function describeSchedule(schedule: Schedule): string {
  switch (schedule.kind) {
    case "daily":
      return `every day at ${schedule.time}`;
    case "weekdays":
      return `Monday to Friday at ${schedule.time}`;
    case "weekly": {
      const names = [...new Set(schedule.days)].sort().map((d) => DAY_NAMES[d]);
      const list =
        names.length > 1 ? `${names.slice(0, -1).join(", ")} and ${names.at(-1) ?? ""}` : (names[0] ?? "");
      return `every ${list} at ${schedule.time}`;
    }
    case "monthly":
      return `day ${schedule.day} of each month at ${schedule.time}${schedule.day > 28 ? " (the last day in shorter months)" : ""}`;
    case "cron":
      return `cron "${schedule.expression}"`;
  }
}

/**
 * Runs missed while the app was not running: if a run was due between the last one and now, the
 * job runs once at start (never once per missed slot), and the history says which slot it made up.
 */
export function missedRun(
  schedule: Schedule,
  lastRunSlot: Date | null,
  createdAt: Date,
  now: Date,
  timeZone?: string,
): Date | null {
  const due = nextRun(schedule, lastRunSlot ?? createdAt, timeZone);
  if (!due || due.getTime() > now.getTime()) return null;
  // The newest slot missed is the one the catch-up run stands for.
  let slot = due;
  for (
    let next = nextRun(schedule, slot, timeZone);
    next && next.getTime() <= now.getTime();
    next = nextRun(schedule, next, timeZone)
  ) {
    slot = next;
  }
  return slot;
}
