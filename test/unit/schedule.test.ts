/** Next-run computation against fixed instants (a fake clock): DST, month ends, missed runs. */
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import {
  describeSchedule,
  missedRun,
  nextRun,
  validateSchedule,
  type Schedule,
} from "../../main/jobs/schedule.js";

const BERLIN = "Europe/Berlin";
const NEW_YORK = "America/New_York";
const iso = (d: Date | null): string | null => d?.toISOString() ?? null;

describe("schedules", () => {
  it("runs daily at the local time, across the spring-forward gap and the fall-back repeat", () => {
    const daily: Schedule = { kind: "daily", time: "02:30" };
    // 28 March 2026, CET (UTC+1): 02:30 local is 01:30 UTC.
    assert.equal(iso(nextRun(daily, new Date("2026-03-27T12:00:00Z"), BERLIN)), "2026-03-28T01:30:00.000Z");
    // 29 March: 02:30 does not exist (clocks jump to 03:00): it runs just after the gap, once.
    assert.equal(iso(nextRun(daily, new Date("2026-03-28T12:00:00Z"), BERLIN)), "2026-03-29T01:00:00.000Z");
    // 30 March, CEST (UTC+2).
    assert.equal(iso(nextRun(daily, new Date("2026-03-29T12:00:00Z"), BERLIN)), "2026-03-30T00:30:00.000Z");
    const early: Schedule = { kind: "daily", time: "01:30" };
    // 1 November 2026 in New York: 01:30 happens twice; the job runs at the first only.
    const first = nextRun(early, new Date("2026-11-01T00:00:00Z"), NEW_YORK);
    assert.equal(iso(first), "2026-11-01T05:30:00.000Z");
    assert.equal(iso(nextRun(early, first ?? new Date(0), NEW_YORK)), "2026-11-02T06:30:00.000Z");
  });

  it("skips weekends for weekdays, and takes the chosen days for weekly", () => {
    // Friday 27 November 2026 after 22:00 → Monday 30 November.
    const weekdays: Schedule = { kind: "weekdays", time: "22:00" };
    assert.equal(iso(nextRun(weekdays, new Date("2026-11-27T22:30:00Z"), "UTC")), "2026-11-30T22:00:00.000Z");
    const weekly: Schedule = { kind: "weekly", days: [4, 1], time: "01:00" };
    assert.equal(iso(nextRun(weekly, new Date("2026-11-27T00:00:00Z"), "UTC")), "2026-11-30T01:00:00.000Z");
    assert.equal(iso(nextRun(weekly, new Date("2026-11-30T01:00:00Z"), "UTC")), "2026-12-03T01:00:00.000Z");
  });

  it("runs monthly on the day asked, or on the last day of a shorter month", () => {
    const on31: Schedule = { kind: "monthly", day: 31, time: "03:00" };
    assert.equal(iso(nextRun(on31, new Date("2026-03-31T04:00:00Z"), "UTC")), "2026-04-30T03:00:00.000Z");
    assert.equal(iso(nextRun(on31, new Date("2026-04-30T04:00:00Z"), "UTC")), "2026-05-31T03:00:00.000Z");
    const on30: Schedule = { kind: "monthly", day: 30, time: "03:00" };
    assert.equal(
      iso(nextRun(on30, new Date("2028-02-01T00:00:00Z"), "UTC")),
      "2028-02-29T03:00:00.000Z",
      "leap year",
    );
    assert.equal(iso(nextRun(on30, new Date("2027-02-01T00:00:00Z"), "UTC")), "2027-02-28T03:00:00.000Z");
    // The month end is the local one: 31 January 23:30 in New York is 1 February in UTC.
    const late: Schedule = { kind: "monthly", day: 31, time: "23:30" };
    assert.equal(iso(nextRun(late, new Date("2027-01-15T00:00:00Z"), NEW_YORK)), "2027-02-01T04:30:00.000Z");
  });

  it("makes up a missed run once, for the newest slot missed, and none when nothing was missed", () => {
    const daily: Schedule = { kind: "daily", time: "22:00" };
    const created = new Date("2026-11-01T12:00:00Z");
    // Last ran on the 20th; the machine was off until the 24th at 08:00: one run, standing for the 23rd.
    const slot = missedRun(
      daily,
      new Date("2026-11-20T22:00:00Z"),
      created,
      new Date("2026-11-24T08:00:00Z"),
      "UTC",
    );
    assert.equal(iso(slot), "2026-11-23T22:00:00.000Z");
    assert.equal(
      missedRun(daily, new Date("2026-11-23T22:00:00Z"), created, new Date("2026-11-24T08:00:00Z"), "UTC"),
      null,
    );
    // Never ran: the first slot after the job was made counts.
    assert.equal(
      iso(missedRun(daily, null, created, new Date("2026-11-02T08:00:00Z"), "UTC")),
      "2026-11-01T22:00:00.000Z",
    );
  });

  it("takes cron expressions from power users and explains a bad one", () => {
    const cron: Schedule = { kind: "cron", expression: "15 3 * * 0" };
    assert.equal(iso(nextRun(cron, new Date("2026-11-27T00:00:00Z"), "UTC")), "2026-11-29T03:15:00.000Z");
    assert.throws(
      () => validateSchedule({ kind: "cron", expression: "every night" }),
      /is not a valid schedule/,
    );
    assert.throws(() => validateSchedule({ kind: "daily", time: "25:00" }), /"25:00" is not a time of day/);
    assert.throws(
      () => validateSchedule({ kind: "monthly", day: 32, time: "01:00" }),
      /day 32 is not a day of the month/,
    );
    assert.throws(
      () => validateSchedule({ kind: "weekly", days: [], time: "01:00" }),
      /needs at least one day/,
    );
  });

  it("describes each form in words", () => {
    assert.equal(
      describeSchedule({ kind: "weekly", days: [4, 1, 1], time: "01:30" }),
      "every Monday and Thursday at 01:30",
    );
    assert.equal(describeSchedule({ kind: "weekdays", time: "22:00" }), "Monday to Friday at 22:00");
    assert.match(describeSchedule({ kind: "monthly", day: 31, time: "03:00" }), /last day in shorter months/);
  });
});
