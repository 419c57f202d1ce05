import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { JobSettings } from "../../../../main/jobs/job-settings";
import type { JobView } from "../../../../preload/contract";
import { setApi } from "../../api/current";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useSourcesStore } from "../../stores/sources-store";
import { FakeApi, ok } from "../../test/fake-api";
import { encryptedRepo, localSource, nightlySettings } from "../../test/fixtures";
import { JobEditor } from "./job-editor";
import { newDraft } from "./job-draft";

function savedJob(name: string, settings: JobSettings): JobView {
  return { id: "job-1", name, settings, scheduleText: "", nextRun: null, lastRun: null, running: false };
}

async function setup() {
  const api = new FakeApi({
    "sources.list": () => ok([localSource]),
    "sources.inventory": () => ok({ kind: "local", vms: [] }),
    "repositories.list": () => ok([encryptedRepo]),
    "jobs.save": (input) => ok(savedJob(input.name, input.settings as JobSettings)),
  });
  setApi(api);
  await act(async () => {
    await useSourcesStore.getState().load();
    await useRepositoriesStore.getState().load();
  });
  render(
    <JobEditor
      initial={newDraft("src-local", "repo-1")}
      onDone={() => undefined}
      onCancel={() => undefined}
    />,
  );
  fireEvent.change(screen.getByLabelText("Name"), { target: { value: "Nightly web01" } });
  return api;
}

async function saveAndReadSchedule(api: FakeApi): Promise<JobSettings["schedule"]> {
  await act(async () => {
    fireEvent.click(screen.getByRole("button", { name: "Save job" }));
  });
  const saved = api.callsTo("jobs.save").at(-1);
  expect(saved?.name).toBe("Nightly web01");
  return (saved?.settings as JobSettings).schedule;
}

const choose = (label: RegExp) => fireEvent.click(screen.getByRole("radio", { name: label }));
const setTime = (time: string) =>
  fireEvent.change(screen.getByLabelText("Time of day"), { target: { value: time } });

describe("the job editor's schedule form", () => {
  it("saves every day at a time", async () => {
    const api = await setup();
    choose(/^Every day/);
    setTime("21:30");
    expect(screen.getByText("Runs every day at 21:30.")).toBeTruthy();
    expect(await saveAndReadSchedule(api)).toEqual({ kind: "daily", time: "21:30" });
  });

  it("saves weekdays", async () => {
    const api = await setup();
    choose(/^Weekdays/);
    setTime("06:15");
    expect(await saveAndReadSchedule(api)).toEqual({ kind: "weekdays", time: "06:15" });
  });

  it("saves weekly on the ticked days, in cron's numbering, and needs one day", async () => {
    const api = await setup();
    choose(/^Weekly on/);
    const days = screen.getByRole("group", { name: "Days of the week" });
    fireEvent.click(within(days).getByLabelText("Monday")); // ticked by default: now off
    const schedule = screen.getByRole("group", { name: "Schedule" });
    expect(within(schedule).getByRole("alert").textContent).toBe("Tick at least one day of the week.");
    expect(screen.getByRole("button", { name: "Save job" }).hasAttribute("disabled")).toBe(true);
    fireEvent.click(within(days).getByLabelText("Sunday"));
    fireEvent.click(within(days).getByLabelText("Wednesday"));
    setTime("23:00");
    expect(screen.getByText("Runs every Wednesday and Sunday at 23:00.")).toBeTruthy();
    expect(await saveAndReadSchedule(api)).toEqual({ kind: "weekly", days: [0, 3], time: "23:00" });
  });

  it("saves monthly on a day of the month", async () => {
    const api = await setup();
    choose(/^Monthly on day/);
    fireEvent.change(screen.getByLabelText("Day of the month"), { target: { value: "31" } });
    setTime("01:00");
    expect(await saveAndReadSchedule(api)).toEqual({ kind: "monthly", day: 31, time: "01:00" });
  });

  it("saves a cron expression, and no schedule at all", async () => {
    const api = await setup();
    choose(/^Advanced: cron expression/);
    fireEvent.change(screen.getByLabelText("Cron expression"), { target: { value: " 30  2 * *  6 " } });
    expect(await saveAndReadSchedule(api)).toEqual({ kind: "cron", expression: "30 2 * * 6" });
    choose(/^Not scheduled/);
    expect(await saveAndReadSchedule(api)).toBeNull();
  });

  it("sends the whole job: local source, retention, options; shows main's config error", async () => {
    const api = await setup();
    api.handle("jobs.save", () => ({
      ok: false,
      error: { code: "config", message: "job Nightly web01 is not a valid job: retries.attempts: too many" },
    }));
    fireEvent.change(screen.getByLabelText("Backup window end"), { target: { value: "06:00" } });
    fireEvent.click(screen.getByRole("radio", { name: /^Every$/ }));
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Save job" }));
    });
    expect(api.callsTo("jobs.save")[0]?.settings).toEqual({
      ...nightlySettings,
      activeFull: { kind: "every-weeks", weeks: 4 },
      window: { end: "06:00" },
      retention: { last: 7, daily: 7, weekly: 4, monthly: 6, yearly: 0 },
    });
    expect(screen.getByRole("alert").textContent).toContain("retries.attempts: too many");
  });
});

describe("the retention preview", () => {
  it("asks main before saving and lists what is kept (with why) and removed", async () => {
    const api = await setup();
    api.handle("jobs.previewRetention", () =>
      ok({
        keep: [
          { id: "rp-3", time: "2026-01-04T22:00:00.000Z", reasons: ["last 1", "daily 1"] },
          { id: "rp-2", time: "2026-01-03T22:00:00.000Z", reasons: ["daily 2"] },
        ],
        remove: [{ id: "rp-1", time: "2026-01-01T22:00:00.000Z" }],
      }),
    );
    const retention = screen.getByRole("group", { name: "Restore points to keep" });
    fireEvent.change(within(retention).getByLabelText("Last"), { target: { value: "1" } });
    fireEvent.change(within(retention).getByLabelText("Daily"), { target: { value: "2" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Preview" }));
    });
    expect(api.callsTo("jobs.previewRetention")).toEqual([
      {
        repositoryId: "repo-1",
        sourceId: "src-local",
        retention: { last: 1, daily: 2, weekly: 4, monthly: 6, yearly: 0 },
      },
    ]);
    const kept = screen.getByRole("region", { name: "Kept" });
    expect(within(kept).getByText("Kept: 2 restore points")).toBeTruthy();
    expect(within(kept).getByText("last 1, daily 1")).toBeTruthy();
    const removed = screen.getByRole("region", { name: "Removed" });
    expect(within(removed).getByText("Removed: 1 restore point")).toBeTruthy();
    expect(within(removed).getAllByRole("listitem")).toHaveLength(1);
    expect(api.callsTo("jobs.save")).toEqual([]);
  });
});
