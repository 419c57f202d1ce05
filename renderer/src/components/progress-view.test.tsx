import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { ProgressEvent } from "../../../main/engines/progress";
import { setApi } from "../api/current";
import { useRunsStore } from "../stores/runs-store";
import { FakeApi, ok } from "../test/fake-api";
import { runningRun } from "../test/fixtures";
import { ProgressView } from "./progress-view";

const GiB = 2 ** 30;

const run = runningRun();

function progress(overrides: Partial<ProgressEvent>): ProgressEvent {
  return {
    operation: "backup",
    bytesTotal: 100 * GiB,
    bytesDone: 25 * GiB,
    bytesRead: 25 * GiB,
    bytesNew: 5 * GiB,
    bytesStored: 2 * GiB,
    bytesPerSecond: 250_000_000,
    etaSeconds: 330,
    disk: { index: 0, name: "Hard disk 1", bytesTotal: 40 * GiB, bytesDone: 25 * GiB },
    final: false,
    ...overrides,
  };
}

function setup() {
  const api = new FakeApi({ "jobs.cancel": () => ok({ cancelled: true }) });
  setApi(api);
  const unsubscribe = useRunsStore.getState().listen();
  api.emit({ type: "run", run });
  render(<ProgressView runId="run-1" />);
  return { api, unsubscribe };
}

function bar(name: string) {
  return screen.getByRole("progressbar", { name });
}

describe("the progress view", () => {
  it("renders a progress event: phase, bars, rate, ETA, bytes and ratio", () => {
    const { api, unsubscribe } = setup();
    act(() => api.emit({ type: "progress", runId: "run-1", phase: "transfer", progress: progress({}) }));
    expect(screen.getByText("Transferring data")).toBeTruthy();
    expect(bar("Back up db01: overall").getAttribute("aria-valuenow")).toBe("25");
    expect(bar("Disk 0: Hard disk 1").getAttribute("aria-valuenow")).toBe("62");
    expect(screen.getByText("250 MB/s")).toBeTruthy();
    expect(screen.getByText("5 min 30 s")).toBeTruthy();
    expect(screen.getByText("25.0 GiB")).toBeTruthy();
    expect(screen.getByText("5.00 GiB")).toBeTruthy();
    expect(screen.getByText("2.00 GiB")).toBeTruthy();
    expect(screen.getByText("12.5×")).toBeTruthy();
    unsubscribe();
  });

  it("completes earlier disks when the next starts, and infers the phase when main names none", () => {
    const { api, unsubscribe } = setup();
    act(() => api.emit({ type: "progress", runId: "run-1", progress: progress({}) }));
    const second = { index: 1, name: "Hard disk 2", bytesTotal: 60 * GiB, bytesDone: GiB };
    act(() =>
      api.emit({
        type: "progress",
        runId: "run-1",
        progress: progress({ bytesDone: 41 * GiB, disk: second }),
      }),
    );
    expect(bar("Disk 0: Hard disk 1").getAttribute("aria-valuenow")).toBe("100");
    expect(bar("Disk 1: Hard disk 2").getAttribute("aria-valuenow")).toBe("1");
    expect(screen.getByText("Transferring data")).toBeTruthy();
    act(() =>
      api.emit({
        type: "progress",
        runId: "run-1",
        progress: progress({ bytesDone: 100 * GiB, final: true, etaSeconds: 0 }),
      }),
    );
    expect(screen.getByText("Committing restore point")).toBeTruthy();
    expect(bar("Back up db01: overall").getAttribute("aria-valuenow")).toBe("100");
    act(() =>
      api.emit({ type: "run", run: { ...run, status: "succeeded", finishedAt: "2026-01-05T10:07:00.000Z" } }),
    );
    expect(screen.getByText("succeeded")).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Cancel" })).toBeNull();
    unsubscribe();
  });

  it("shows the phase main names over the one the counts suggest, until main names another", () => {
    const { api, unsubscribe } = setup();
    const done = progress({ bytesDone: 100 * GiB, final: true, etaSeconds: 0 });
    act(() => api.emit({ type: "progress", runId: "run-1", phase: "commit", progress: done }));
    expect(screen.getByText("Committing restore point")).toBeTruthy();
    // The counts are final (which reads as "commit"), but main says the snapshot is being removed.
    act(() => api.emit({ type: "progress", runId: "run-1", phase: "snapshot-removal", progress: done }));
    expect(screen.getByText("Removing snapshot")).toBeTruthy();
    expect(screen.queryByText("Committing restore point")).toBeNull();
    // A later event without a phase keeps main's last word rather than guessing again.
    act(() => api.emit({ type: "progress", runId: "run-1", progress: done }));
    expect(screen.getByText("Removing snapshot")).toBeTruthy();
    unsubscribe();
  });

  it("cancels the run through jobs.cancel", async () => {
    const { api, unsubscribe } = setup();
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Cancel" }));
    });
    expect(api.callsTo("jobs.cancel")).toEqual([{ runId: "run-1" }]);
    unsubscribe();
  });
});
