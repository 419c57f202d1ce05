import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { afterEach, beforeEach, describe, expect, it, vi } from "vitest";
import type { InstantView } from "../../../../../preload/contract";
import { setApi } from "../../../api/current";
import { FakeApi, ok } from "../../../test/fake-api";
import { restorePoint } from "../../../test/fixtures";
import { RunFromBackupPanel } from "./run-from-backup-panel";

const serving = (overrides: Partial<InstantView> = {}): InstantView => ({
  sessionId: "ir-1",
  repositoryId: "repo-1",
  url: "nbd://127.0.0.1:10809/rp-1-disk0",
  host: "127.0.0.1",
  port: 10809,
  exportName: "rp-1-disk0",
  overlay: "/tmp/snapferry-rp-1-disk0.overlay",
  overlayBytes: 0,
  clients: 0,
  restorePoint: "rp-1",
  disk: 0,
  size: 40 * 2 ** 30,
  ...overrides,
});

describe("the run-from-backup panel", () => {
  beforeEach(() => vi.useFakeTimers({ toFake: ["setInterval", "clearInterval"] }));
  afterEach(() => vi.useRealTimers());

  it("serves the chosen disk, shows the URL and how to attach it, tracks the overlay, and stops", async () => {
    let view = serving();
    let running: InstantView[] = [];
    const api = new FakeApi({
      "instant.start": () => {
        running = [view];
        return ok(view);
      },
      "instant.list": () => ok(running.map(() => view)),
      "instant.stop": () => {
        running = [];
        return ok({ stopped: true });
      },
    });
    setApi(api);
    await act(async () => {
      render(<RunFromBackupPanel point={restorePoint()} />);
    });
    fireEvent.change(screen.getByLabelText("Disk"), { target: { value: "1" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Start serving" }));
    });
    expect(api.callsTo("instant.start")).toEqual([
      { repositoryId: "repo-1", restorePointId: "rp-1", disk: 1 },
    ]);
    expect((screen.getByRole("textbox", { name: "NBD URL" }) as HTMLInputElement).value).toBe(
      "nbd://127.0.0.1:10809/rp-1-disk0",
    );
    const qemu = screen.getByRole("region", { name: "QEMU instructions" });
    expect(qemu.textContent).toContain(
      "qemu-system-x86_64 -m 2048 -drive file=nbd://127.0.0.1:10809/rp-1-disk0,format=raw",
    );
    const libvirt = screen.getByRole("region", { name: "libvirt (virt-manager, virsh) instructions" });
    expect(libvirt.textContent).toContain("<source protocol='nbd' name='rp-1-disk0'>");
    expect(libvirt.textContent).toContain("<host name='127.0.0.1' port='10809'/>");
    expect(screen.getByRole("region", { name: "Proxmox VE instructions" }).textContent).toContain(
      "qm importdisk",
    );
    expect(screen.getByRole("region", { name: "VMware ESXi instructions" }).textContent).toContain(
      "ESXi cannot mount an NBD disk",
    );
    expect(screen.getByTestId("overlay-bytes").textContent).toBe("0 B");

    view = serving({ overlayBytes: 3 * 2 ** 20, clients: 1 });
    await act(async () => {
      vi.advanceTimersByTime(2000);
    });
    expect(api.callsTo("instant.list").length).toBe(2);
    expect(screen.getByTestId("overlay-bytes").textContent).toBe("3.00 MiB");
    expect(screen.getByTestId("clients").textContent).toBe("1");

    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Stop" }));
    });
    expect(api.callsTo("instant.stop")).toEqual([{ sessionId: "ir-1" }]);
    expect(screen.queryByRole("textbox", { name: "NBD URL" })).toBeNull();
    expect(screen.getByRole("button", { name: "Start serving" })).toBeTruthy();
  });

  it("shows a recovery of this restore point started earlier, so it can still be stopped", async () => {
    const api = new FakeApi({
      "instant.list": () => ok([serving({ clients: 2 })]),
      "instant.stop": () => ok({ stopped: true }),
    });
    setApi(api);
    await act(async () => {
      render(<RunFromBackupPanel point={restorePoint()} />);
    });
    expect((screen.getByRole("textbox", { name: "NBD URL" }) as HTMLInputElement).value).toBe(
      "nbd://127.0.0.1:10809/rp-1-disk0",
    );
    expect(screen.getByTestId("clients").textContent).toBe("2");
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Stop" }));
    });
    expect(api.callsTo("instant.stop")).toEqual([{ sessionId: "ir-1" }]);
  });

  it("discards the VM's writes only after a second, explicit click", async () => {
    const api = new FakeApi({
      "instant.list": () => ok([serving()]),
      "instant.stop": () => ok({ stopped: true }),
    });
    setApi(api);
    await act(async () => {
      render(<RunFromBackupPanel point={restorePoint()} />);
    });
    fireEvent.click(screen.getByRole("button", { name: "Stop and discard…" }));
    expect(api.callsTo("instant.stop")).toEqual([]);
    const confirm = screen.getByRole("group", { name: "Discard the VM's writes" });
    await act(async () => {
      fireEvent.click(within(confirm).getByRole("button", { name: "Discard the writes and stop" }));
    });
    expect(api.callsTo("instant.stop")).toEqual([{ sessionId: "ir-1", discard: true }]);
  });

  it("finalizes to the chosen format and path, then shows the run", async () => {
    const view = serving();
    const api = new FakeApi({
      "instant.start": () => ok(view),
      "instant.list": () => ok([]),
      "instant.finalize": () => ok({ runId: "run-7" }),
      "runs.list": () => ok([]),
    });
    setApi(api);
    await act(async () => {
      render(
        <RunFromBackupPanel
          point={restorePoint({ disks: [{ index: 0, name: "Hard disk 1", size: 2 ** 30 }] })}
        />,
      );
    });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Start serving" }));
    });
    fireEvent.click(screen.getByRole("button", { name: "Finalize…" }));
    const form = screen.getByRole("group", { name: "Finalize" });
    fireEvent.change(within(form).getByLabelText("Disk format"), { target: { value: "vmdk-flat" } });
    fireEvent.change(within(form).getByLabelText("Disk file"), { target: { value: "/mnt/esx/disk.vmdk" } });
    await act(async () => {
      fireEvent.click(within(form).getByRole("button", { name: "Finalize" }));
    });
    expect(api.callsTo("instant.finalize")).toEqual([
      { sessionId: "ir-1", path: "/mnt/esx/disk.vmdk", format: "vmdk-flat" },
    ]);
    expect(screen.getByRole("region", { name: /Progress of Run run-7/ })).toBeTruthy();
  });
});
