import { act, fireEvent, render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setApi } from "../../api/current";
import { FakeApi, ok } from "../../test/fake-api";
import { encryptedRepo } from "../../test/fixtures";
import { RepositoryCard } from "./repository-card";

describe("a repository card", () => {
  it("verifies all restore points of the repository with “Verify all”", async () => {
    const api = new FakeApi({
      "repositories.stats": () =>
        ok({ repositoryId: "repo-1", restorePoints: 2, storedBytes: 1000, logicalBytes: 4000 }),
      "restorePoints.verify": () => ok({ runId: "run-4" }),
    });
    setApi(api);
    await act(async () => {
      render(<RepositoryCard repo={{ ...encryptedRepo, passwordSaved: true }} />);
    });
    await act(async () => {
      fireEvent.click(
        screen.getByRole("button", { name: `Verify all restore points of ${encryptedRepo.name}` }),
      );
    });
    expect(api.callsTo("restorePoints.verify")).toEqual([{ repositoryId: "repo-1" }]);
    expect(screen.getByRole("status").textContent).toContain("verifying");
  });
});
