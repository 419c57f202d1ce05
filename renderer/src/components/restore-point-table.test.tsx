import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setApi } from "../api/current";
import { FakeApi, ok } from "../test/fake-api";
import { restorePoint } from "../test/fixtures";
import { RestorePointTable } from "./restore-point-table";

describe("the restore point table", () => {
  it("shows verified points with their date and failed ones in red with the reason", () => {
    render(
      <RestorePointTable
        caption="Restore points"
        points={[
          restorePoint({ id: "rp-1", verifiedAt: "2026-01-05T10:00:00.000Z" }),
          restorePoint({
            id: "rp-2",
            verifiedAt: "2026-01-05T10:00:00.000Z",
            verifyFailure: { at: "2026-01-06T10:00:00.000Z", reason: "chunk 3f2a… is damaged" },
          }),
        ]}
      />,
    );
    const rows = screen.getAllByRole("row").slice(1);
    expect(rows[0]?.textContent).toContain("✓ verified");
    expect(rows[1]?.className).toBe("row-failed");
    expect(
      within(rows[1] as HTMLElement).getByRole("status", { name: "Verification failed" }).textContent,
    ).toContain("chunk 3f2a… is damaged");
  });

  it("verifies one restore point from its row", async () => {
    const api = new FakeApi({ "restorePoints.verify": () => ok({ runId: "run-3" }) });
    setApi(api);
    render(<RestorePointTable caption="Restore points" points={[restorePoint()]} verifiable />);
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: /^Verify restore point of/ }));
    });
    expect(api.callsTo("restorePoints.verify")).toEqual([{ repositoryId: "repo-1", restorePointId: "rp-1" }]);
    expect(screen.getByRole("status").textContent).toContain("verifying");
  });
});
