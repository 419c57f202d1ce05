import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { CatalogRestorePoint } from "../../../../main/catalog/catalog-api";
import { setApi } from "../../api/current";
import { useRepositoriesStore } from "../../stores/repositories-store";
import { useSourcesStore } from "../../stores/sources-store";
import { FakeApi, ok } from "../../test/fake-api";
import { encryptedRepo, restorePoint, vmDetails, vsphereInventory, vsphereSource } from "../../test/fixtures";
import { RestoreWizard } from "./restore-wizard";

async function setup(points: CatalogRestorePoint[]) {
  const api = new FakeApi({
    "sources.list": () => ok([vsphereSource]),
    "sources.inventory": () => ok(vsphereInventory([vmDetails("db01")])),
    "repositories.list": () => ok([{ ...encryptedRepo, passwordSaved: true }]),
    "restorePoints.list": () => ok(points),
    "jobs.restore": () => ok({ runId: "run-9" }),
  });
  setApi(api);
  await act(async () => {
    await useRepositoriesStore.getState().load();
    await useSourcesStore.getState().load();
  });
  return api;
}

const button = (name: string) => screen.getByRole("button", { name });

async function renderAt(point: CatalogRestorePoint) {
  await act(async () => {
    render(<RestoreWizard repositoryId="repo-1" restorePointId={point.id} onClose={() => undefined} />);
  });
}

describe("the restore wizard", () => {
  it("names what the original location loses, and restores only once that is confirmed", async () => {
    const api = await setup([restorePoint()]);
    await renderAt(restorePoint());
    fireEvent.click(screen.getByRole("radio", { name: /Disk 1: Hard disk 2/ }));
    fireEvent.click(button("Next"));
    fireEvent.click(screen.getByRole("radio", { name: /The original location/ }));
    fireEvent.click(button("Next"));

    const confirm = screen.getByRole("group", { name: "Overwrite confirmation" });
    expect(confirm.textContent).toContain(
      "This overwrites disk Hard disk 2 of VM db01 at vsphere://vcenter.lab:443/DC1/vm/db01",
    );
    expect(confirm.textContent).toContain("Everything written to them since is lost.");
    expect(button("Restore").hasAttribute("disabled")).toBe(true);
    fireEvent.click(button("Restore"));
    expect(api.callsTo("jobs.restore")).toEqual([]);

    fireEvent.click(within(confirm).getByRole("checkbox", { name: /I understand: overwrite db01's disk/ }));
    await act(async () => {
      fireEvent.click(button("Restore"));
    });
    expect(api.callsTo("jobs.restore")).toEqual([
      {
        repositoryId: "repo-1",
        restorePointId: "rp-1",
        target: { kind: "vsphere-original", confirmOverwrite: true, disk: 1 },
      },
    ]);
    expect(screen.getByRole("region", { name: "Progress of Run run-9" })).toBeTruthy();
  });

  it("offers no original location for a local backup, and writes a disk file in the chosen format", async () => {
    const local = restorePoint({
      id: "rp-2",
      sourceKind: "local-folder",
      source: "/vms/web01",
      vmUuid: null,
      vmName: "web01",
    });
    const api = await setup([local]);
    await renderAt(local);
    fireEvent.click(screen.getByRole("radio", { name: /Disk 0: Hard disk 1/ }));
    fireEvent.click(button("Next"));
    expect(screen.getByRole("radio", { name: /The original location/ }).hasAttribute("disabled")).toBe(true);
    expect(button("Next").hasAttribute("disabled")).toBe(true);
    fireEvent.change(screen.getByLabelText("Format"), { target: { value: "vhdx" } });
    fireEvent.change(screen.getByLabelText("Path"), { target: { value: "/restore/web01.vhdx" } });
    fireEvent.click(button("Next"));
    expect(screen.getByText(/to \/restore\/web01.vhdx \(VHDX \(Hyper-V\)\)/)).toBeTruthy();
    await act(async () => {
      fireEvent.click(button("Restore"));
    });
    expect(api.callsTo("jobs.restore")).toEqual([
      {
        repositoryId: "repo-1",
        restorePointId: "rp-2",
        target: { kind: "file", path: "/restore/web01.vhdx", format: "vhdx", disk: 0 },
      },
    ]);
  });

  it("starts from the choice of repository and restore point", async () => {
    await setup([
      restorePoint(),
      restorePoint({ id: "rp-0", time: "2026-01-03T22:00:00.000Z", type: "full" }),
    ]);
    await act(async () => {
      render(<RestoreWizard onClose={() => undefined} />);
    });
    expect(button("Next").hasAttribute("disabled")).toBe(true);
    await act(async () => {
      fireEvent.change(screen.getByLabelText("Repository"), { target: { value: "repo-1" } });
    });
    const choices = screen.getAllByRole("radio", { name: /db01/ });
    expect(choices).toHaveLength(2);
    fireEvent.click(choices[1] ?? document.body);
    fireEvent.click(button("Next"));
    expect(screen.getByRole("radio", { name: /The whole VM \(2 disks\)/ })).toBeTruthy();
  });

  it("places a new VM on vSphere where the inventory allows, under the name given", async () => {
    const api = await setup([restorePoint()]);
    await renderAt(restorePoint());
    fireEvent.click(button("Next"));
    fireEvent.click(screen.getByRole("radio", { name: /A new VM on vSphere/ }));
    expect(button("Next").hasAttribute("disabled")).toBe(true);
    fireEvent.change(screen.getByLabelText("Host or cluster"), { target: { value: "DC1/C1" } });
    fireEvent.change(screen.getByLabelText("Datastore"), { target: { value: "ds1" } });
    expect((screen.getByLabelText("Name of the new VM") as HTMLInputElement).value).toBe("db01-restored");
    fireEvent.click(screen.getByLabelText("Power it on when restored"));
    fireEvent.click(button("Next"));
    await act(async () => {
      fireEvent.click(button("Restore"));
    });
    expect(api.callsTo("jobs.restore")).toEqual([
      {
        repositoryId: "repo-1",
        restorePointId: "rp-1",
        target: {
          kind: "vsphere-new",
          sourceId: "src-vc",
          placement: "DC1/C1",
          datastore: "ds1",
          name: "db01-restored",
          powerOn: true,
        },
      },
    ]);
  });

  it("goes from “Files” on the what step to the file browser of that disk", async () => {
    const api = await setup([restorePoint()]);
    api.handle("files.open", () =>
      ok({
        sessionId: "fs-1",
        partitions: [
          { number: 1, start: 2 ** 20, size: 2 ** 30, type: "Linux filesystem", scheme: "gpt" as const },
        ],
        sevenZip: { found: true, hint: null },
      }),
    );
    api.handle("files.list", () => ok([]));
    await renderAt(restorePoint());
    fireEvent.click(screen.getByRole("radio", { name: /Files: single files from disk 1/ }));
    await act(async () => {
      fireEvent.click(button("Next"));
    });
    expect(api.callsTo("files.open")).toEqual([{ repositoryId: "repo-1", restorePointId: "rp-1", disk: 1 }]);
    expect(screen.getByRole("region", { name: "File browser" })).toBeTruthy();
    expect(screen.getByRole("treeitem", { name: "1: Linux filesystem 1.00 GiB" })).toBeTruthy();
    expect(screen.queryByRole("button", { name: "Next" })).toBeNull();
  });

  it("offers “Run from backup” on the chosen restore point", async () => {
    const api = await setup([restorePoint()]);
    api.handle("instant.list", () => ok([]));
    await renderAt(restorePoint());
    fireEvent.click(button("Back"));
    await act(async () => {
      fireEvent.click(button("Run from backup…"));
    });
    expect(screen.getByRole("region", { name: "Run from backup" })).toBeTruthy();
    expect(api.callsTo("instant.list")).toEqual([{}]);
  });
});
