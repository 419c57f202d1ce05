import { act, fireEvent, render, screen, waitFor, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { JobView } from "../../../../preload/contract";
import { setApi } from "../../api/current";
import { useRunsStore } from "../../stores/runs-store";
import { FakeApi, ok } from "../../test/fake-api";
import { nightlyJob, runningRun } from "../../test/fixtures";
import { HistoryScreen } from "./history-screen";

const nightly: JobView = nightlyJob();

const all = [
  runningRun({
    id: "run-1",
    title: "Back up db01",
    status: "succeeded",
    finishedAt: "2026-01-05T10:01:00.000Z",
  }),
  runningRun({
    id: "run-2",
    jobId: "job-1",
    title: "Nightly: web01",
    status: "failed",
    finishedAt: "2026-01-05T10:02:00.000Z",
  }),
];

describe("the history filters", () => {
  it("ask runs.list for one job, a VM and a status, and show main's answer", async () => {
    const api = new FakeApi({
      "jobs.list": () => ok([nightly]),
      "runs.list": (input) => ok(input.jobId ? all.filter((r) => r.jobId === input.jobId) : all),
      "runs.logs": () => ok([]),
      "runs.exportLog": () => ok({ fileName: "run-2.txt", text: "log" }),
    });
    setApi(api);
    await act(async () => {
      await useRunsStore.getState().load();
      render(<HistoryScreen />);
    });
    const table = screen.getByRole("table", { name: "Runs" });
    expect(within(table).getAllByRole("row")).toHaveLength(3);

    fireEvent.change(screen.getByLabelText("Job"), { target: { value: "job-1" } });
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(2));
    expect(api.callsTo("runs.list").at(-1)).toEqual({ limit: 500, jobId: "job-1" });
    expect(within(table).getByText("Nightly: web01")).toBeTruthy();

    fireEvent.change(screen.getByLabelText("VM"), { target: { value: " web01 " } });
    fireEvent.change(screen.getByLabelText("Status"), { target: { value: "failed" } });
    await waitFor(() =>
      expect(api.callsTo("runs.list").at(-1)).toEqual({
        limit: 500,
        jobId: "job-1",
        vm: "web01",
        status: "failed",
      }),
    );

    fireEvent.click(screen.getByRole("button", { name: "Clear filters" }));
    await waitFor(() => expect(within(table).getAllByRole("row")).toHaveLength(3));
  });

  it("exports a run's log through runs.exportLog", async () => {
    const api = new FakeApi({
      "jobs.list": () => ok([]),
      "runs.list": () => ok(all),
      "runs.logs": () => ok([]),
      "runs.exportLog": () => ok({ fileName: "run-2.txt", text: "2026-01-05 web01 failed" }),
    });
    setApi(api);
    await act(async () => {
      await useRunsStore.getState().load();
      render(<HistoryScreen />);
    });
    fireEvent.click(screen.getByRole("button", { name: "Nightly: web01" }));
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Export log" }));
    });
    expect(api.callsTo("runs.exportLog")).toEqual([{ runId: "run-2" }]);
  });
});
