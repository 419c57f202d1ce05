import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { JobView } from "../../../../preload/contract";
import { App } from "../../app/app";
import { setApi } from "../../api/current";
import { FakeApi, ok } from "../../test/fake-api";
import { nightlyJob, runningRun } from "../../test/fixtures";
import { JobsScreen } from "./jobs-screen";

const job: JobView = nightlyJob({
  nextRun: "2026-01-06T22:00:00.000Z",
  lastRun: runningRun({ jobId: "job-1", status: "succeeded", finishedAt: "2026-01-05T22:05:00.000Z" }),
});

describe("the jobs screen", () => {
  it("lists jobs with their schedule and last state, runs one now, imports pasted JSON", async () => {
    const api = new FakeApi({
      "jobs.list": () => ok([job]),
      "jobs.run": () => ok({ runId: "run-5" }),
      "jobs.import": () => ok({ ...job, id: "job-2", name: "Imported" }),
    });
    setApi(api);
    await act(async () => {
      render(<JobsScreen />);
    });
    const row = screen.getByRole("row", { name: "Nightly" });
    expect(within(row).getByText("every day at 22:00")).toBeTruthy();
    expect(within(row).getByText("succeeded").className).toContain("status-succeeded");
    await act(async () => {
      fireEvent.click(within(row).getByRole("button", { name: "Run now Nightly" }));
    });
    expect(api.callsTo("jobs.run")).toEqual([{ jobId: "job-1" }]);

    fireEvent.click(screen.getByRole("button", { name: "Import…" }));
    const form = screen.getByRole("form", { name: "Import a job" });
    fireEvent.change(within(form).getByLabelText("Job JSON"), {
      target: { value: '{"format":"snapferry-job"}' },
    });
    fireEvent.change(within(form).getByLabelText("Name"), { target: { value: "Imported" } });
    await act(async () => {
      fireEvent.click(within(form).getByRole("button", { name: "Import" }));
    });
    expect(api.callsTo("jobs.import")).toEqual([{ json: '{"format":"snapferry-job"}', name: "Imported" }]);
    expect(screen.getByRole("row", { name: "Imported" })).toBeTruthy();
  });
});

describe("exporting a job", () => {
  it("downloads what jobs.export returns as a .json file", async () => {
    const api = new FakeApi({
      "jobs.list": () => ok([job]),
      "jobs.export": () => ok({ fileName: "Nightly.snapferry-job.json", json: '{"format":"snapferry-job"}' }),
    });
    setApi(api);
    const clicked: HTMLAnchorElement[] = [];
    const click = HTMLAnchorElement.prototype.click;
    HTMLAnchorElement.prototype.click = function (this: HTMLAnchorElement) {
      clicked.push(this);
    };
    try {
      await act(async () => {
        render(<JobsScreen />);
      });
      await act(async () => {
        fireEvent.click(screen.getByRole("button", { name: "Export Nightly" }));
      });
    } finally {
      HTMLAnchorElement.prototype.click = click;
    }
    expect(api.callsTo("jobs.export")).toEqual([{ jobId: "job-1" }]);
    expect(clicked.map((a) => a.download)).toEqual(["Nightly.snapferry-job.json"]);
    expect(clicked[0]?.href).toMatch(/^blob:/);
    const shown = screen.getByRole("textbox", { name: "Exported job JSON" }) as HTMLTextAreaElement;
    expect(shown.value).toBe('{"format":"snapferry-job"}');
  });
});

describe("the app frame", () => {
  it("lands on the dashboard and shows main's notices until dismissed", async () => {
    const api = new FakeApi({});
    setApi(api);
    await act(async () => {
      render(<App />);
    });
    expect(screen.getByRole("main", { name: "dashboard" })).toBeTruthy();
    act(() => api.emit({ type: "notice", level: "info", message: "It is safe to unplug the Friday disk." }));
    const notices = screen.getByRole("list", { name: "Notices" });
    expect(within(notices).getByRole("status").textContent).toContain("safe to unplug the Friday disk");
    fireEvent.click(within(notices).getByRole("button", { name: "Dismiss" }));
    expect(screen.queryByRole("list", { name: "Notices" })).toBeNull();
  });
});
