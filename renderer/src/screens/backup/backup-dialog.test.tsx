import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setApi } from "../../api/current";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useRunsStore } from "../../stores/runs-store";
import { useSourcesStore } from "../../stores/sources-store";
import { FakeApi, ok } from "../../test/fake-api";
import { encryptedRepo, runningRun, vmDetails, vsphereInventory, vsphereSource } from "../../test/fixtures";
import { BackupDialog } from "./backup-dialog";

const blockedChain = {
  status: "blocked" as const,
  depth: 31,
  snapshotCount: 31,
  warnings: [],
  blocked: "Backups of VM legacy are blocked: its snapshot chain is 31 deep.",
  summary: "31 snapshots, chain depth 31: backup blocked",
};

async function setup() {
  const api = new FakeApi({
    "sources.list": () => ok([vsphereSource]),
    "sources.inventory": () =>
      ok(
        vsphereInventory([
          vmDetails("db01", { toolsRunning: false }),
          vmDetails("legacy", { chain: blockedChain }),
        ]),
      ),
    "repositories.list": () => ok([encryptedRepo]),
    "jobs.backup": () => ok({ runId: "run-7" }),
  });
  setApi(api);
  await act(async () => {
    await useSourcesStore.getState().load();
    await useRepositoriesStore.getState().load();
  });
  return api;
}

const startButton = () => screen.getByRole("button", { name: "Start backup" });

describe("the backup dialog", () => {
  it("holds Start until the pre-checks pass, then calls jobs.backup with the choices", async () => {
    const api = await setup();
    const unsubscribe = useRunsStore.getState().listen();
    render(<BackupDialog vmKeys={["src-vc|DC1/vm/db01"]} onClose={() => undefined} />);
    const checks = screen.getByRole("list", { name: "Pre-checks" });
    expect(within(checks).getByText(/password is not in the keychain/)).toBeTruthy();
    expect(within(checks).getByText(/VMware Tools do not run, so the guest cannot be quiesced/)).toBeTruthy();
    expect(startButton().hasAttribute("disabled")).toBe(true);

    fireEvent.change(screen.getByLabelText("Repository password"), { target: { value: "correct horse" } });
    expect(startButton().hasAttribute("disabled")).toBe(true);
    fireEvent.click(screen.getByLabelText(/Allow crash-consistent/));
    expect(within(checks).getByText(/the backup will be crash-consistent/)).toBeTruthy();
    fireEvent.click(screen.getByRole("radio", { name: /Active full/ }));
    expect(startButton().hasAttribute("disabled")).toBe(false);

    await act(async () => {
      fireEvent.click(startButton());
    });
    expect(api.callsTo("jobs.backup")).toEqual([
      {
        sourceId: "src-vc",
        vm: "DC1/vm/db01",
        repositoryId: "repo-1",
        type: "active-full",
        allowCrashConsistent: true,
        password: "correct horse",
      },
    ]);

    // The dialog now follows the run main started.
    const run = runningRun({ id: "run-7" });
    act(() => api.emit({ type: "run", run }));
    expect(screen.getByRole("region", { name: "Progress of Back up db01" })).toBeTruthy();
    expect(screen.getByRole("button", { name: "Cancel" })).toBeTruthy();
    unsubscribe();
  });

  it("refuses a VM whose chain is blocked, whatever else is chosen", async () => {
    const api = await setup();
    render(<BackupDialog vmKeys={["src-vc|DC1/vm/legacy"]} onClose={() => undefined} />);
    fireEvent.change(screen.getByLabelText("Repository password"), { target: { value: "pw" } });
    fireEvent.click(screen.getByLabelText(/Allow crash-consistent/));
    expect(screen.getByText(/its snapshot chain is 31 deep/)).toBeTruthy();
    expect(startButton().hasAttribute("disabled")).toBe(true);
    fireEvent.click(startButton());
    expect(api.callsTo("jobs.backup")).toEqual([]);
  });

  it("shows main's refusal in words, with the detail one click away", async () => {
    const api = await setup();
    api.handle("jobs.backup", () => ({
      ok: false,
      error: {
        code: "wrong-password",
        message: "wrong password for repository usb-backup",
        hint: "Check the password.",
      },
    }));
    render(<BackupDialog vmKeys={["src-vc|DC1/vm/db01"]} onClose={() => undefined} />);
    fireEvent.change(screen.getByLabelText("Repository password"), { target: { value: "nope" } });
    fireEvent.click(screen.getByLabelText(/Allow crash-consistent/));
    await act(async () => {
      fireEvent.click(startButton());
    });
    const alert = screen.getByRole("alert");
    expect(alert.textContent).toContain("Wrong password for repository usb-backup.");
    expect(within(alert).getByText("Details").closest("details")).toBeTruthy();
    expect(within(alert).getByText("wrong-password")).toBeTruthy();
  });
});
