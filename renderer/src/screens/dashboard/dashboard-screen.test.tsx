import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { DashboardView } from "../../../../preload/contract";
import { setApi } from "../../api/current";
import { useDashboardStore } from "../../stores/dashboard-store";
import { FakeApi, ok } from "../../test/fake-api";
import { runningRun } from "../../test/fixtures";
import { DashboardScreen } from "./dashboard-screen";

const GiB = 2 ** 30;

function view(gapDays: number): DashboardView {
  return {
    gapDays,
    jobs: [
      {
        jobId: "job-1",
        name: "Nightly",
        nextRun: "2026-01-06T22:00:00.000Z",
        lastRun: runningRun({
          id: "run-9",
          jobId: "job-1",
          status: "failed",
          startedAt: "2026-01-05T22:00:00.000Z",
          finishedAt: "2026-01-05T22:02:05.000Z",
          bytesStored: 3 * GiB,
        }),
      },
      { jobId: "job-2", name: "Weekly archive", nextRun: null, lastRun: null },
    ],
    repositories: [
      {
        repositoryId: "repo-1",
        name: "usb-backup",
        usedBytes: 120 * GiB,
        freeBytes: 40 * GiB,
        growthPerDay: 2 * GiB,
        fullBy: "2026-01-25T00:00:00.000Z",
      },
      {
        repositoryId: "repo-2",
        name: "nas",
        usedBytes: GiB,
        freeBytes: null,
        growthPerDay: null,
        fullBy: null,
      },
    ],
    protectionGaps: [
      { name: "db01", source: "vcenter.lab", newest: "2025-12-20T22:00:00.000Z", days: 16 },
      { name: "legacy", source: "vcenter.lab", newest: null, days: null },
    ],
  };
}

async function renderDashboard() {
  const api = new FakeApi({ "dashboard.get": (input) => ok(view(input.gapDays ?? 7)) });
  setApi(api);
  await act(async () => {
    render(<DashboardScreen />);
  });
  return api;
}

describe("the dashboard", () => {
  it("shows each job's last result, repository space with its forecast, and the protection gaps", async () => {
    const api = await renderDashboard();
    expect(api.callsTo("dashboard.get")).toEqual([{ gapDays: 7 }]);

    const results = screen.getByRole("region", { name: "Last results" });
    const nightly = within(results).getByRole("row", { name: "Nightly" });
    expect(within(nightly).getByText("failed").className).toContain("status-failed");
    expect(within(nightly).getByText("3.00 GiB")).toBeTruthy();
    expect(within(nightly).getByText("2 min 5 s")).toBeTruthy();
    expect(
      within(within(results).getByRole("row", { name: "Weekly archive" })).getByText("never run"),
    ).toBeTruthy();

    const space = screen.getByRole("region", { name: "Repository space" });
    const usb = within(space).getByRole("listitem", { name: "usb-backup" });
    expect(within(usb).getByText("120 GiB")).toBeTruthy();
    expect(within(usb).getByText("40.0 GiB")).toBeTruthy();
    expect(within(usb).getByText("2.00 GiB a day")).toBeTruthy();
    expect(within(usb).getByText(/2026/).className).toBe("warn-text");
    const nas = within(space).getByRole("listitem", { name: "nas" });
    expect(within(nas).getByText("not reachable now")).toBeTruthy();
    expect(within(nas).getByText("not enough history yet")).toBeTruthy();

    const gaps = screen.getByRole("region", { name: "Protection gaps" });
    expect(within(gaps).getByText("db01")).toBeTruthy();
    expect(within(gaps).getByText(/\(16 days ago\)/)).toBeTruthy();
    expect(within(gaps).getByText("never backed up")).toBeTruthy();
  });

  it("asks again with another gap, and after a run ends", async () => {
    const api = await renderDashboard();
    const days = screen.getByLabelText(/No restore point in/);
    fireEvent.change(days, { target: { value: "14" } });
    await act(async () => {
      fireEvent.blur(days);
    });
    expect(api.callsTo("dashboard.get").at(-1)).toEqual({ gapDays: 14 });

    await act(async () => {
      useDashboardStore.getState().apply({ type: "run", run: runningRun() });
    });
    expect(api.callsTo("dashboard.get")).toHaveLength(2);
    await act(async () => {
      useDashboardStore.getState().apply({ type: "run", run: runningRun({ status: "succeeded" }) });
    });
    expect(api.callsTo("dashboard.get").at(-1)).toEqual({ gapDays: 14 });
    expect(api.callsTo("dashboard.get")).toHaveLength(3);
  });
});
