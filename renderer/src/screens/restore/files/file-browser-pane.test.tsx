import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import type { FileEntryView } from "../../../../../preload/contract";
import { setApi } from "../../../api/current";
import { FakeApi, ok } from "../../../test/fake-api";
import { FileBrowserPane } from "./file-browser-pane";

const entry = (path: string, type: FileEntryView["type"], size = 0): FileEntryView => ({
  path,
  name: path.split("/").pop() ?? path,
  type,
  size,
  mtime: "2026-01-02T03:04:05.000Z",
});

const LISTINGS: Record<string, FileEntryView[]> = {
  "1:/": [entry("/etc", "dir"), entry("/home", "dir"), entry("/README", "file", 1234)],
  "1:/etc": [entry("/etc/hosts", "file", 200), entry("/etc/ssh", "dir"), entry("/etc/fstab", "file", 512)],
  "1:/etc/ssh": [entry("/etc/ssh/sshd_config", "file", 3000)],
};

function setup(sevenZip = { found: true, hint: null as string | null }) {
  const api = new FakeApi({
    "files.open": () =>
      ok({
        sessionId: "fs-1",
        partitions: [
          { number: 1, start: 1048576, size: 2040109465, type: "Linux filesystem", scheme: "mbr" as const },
        ],
        sevenZip,
      }),
    "files.list": (input) => ok(LISTINGS[input.path] ?? []),
    "files.search": (input) =>
      ok(input.query === "sshd" ? [entry("/etc/ssh/sshd_config", "file", 3000)] : []),
    "files.extract": () => ok({ runId: "run-5" }),
    "files.archive": () => ok({ runId: "run-6" }),
    "files.close": () => ok({ closed: true }),
    "runs.list": () => ok([]),
  });
  setApi(api);
  return api;
}

async function renderPane() {
  await act(async () => {
    render(<FileBrowserPane repositoryId="repo-1" restorePointId="rp-1" disk={0} />);
  });
}

describe("the file browser pane", () => {
  it("shows partitions as top nodes and loads a folder's children only when it is expanded", async () => {
    const api = setup();
    await renderPane();
    const tree = screen.getByRole("tree", { name: "Folders" });
    const top = within(tree).getByRole("treeitem", { name: "1: Linux filesystem 1.90 GiB" });
    expect(top.getAttribute("aria-expanded")).toBe("false");
    // The partition's root is shown at once; nothing below it was listed yet.
    expect(api.callsTo("files.list").map((c) => c.path)).toEqual(["1:/"]);
    expect(screen.getByRole("table", { name: "Files in 1:/" }).textContent).toContain("README");

    await act(async () => {
      fireEvent.click(within(tree).getByRole("button", { name: "Expand 1: Linux filesystem 1.90 GiB" }));
    });
    const etc = within(tree).getByRole("treeitem", { name: "etc" });
    expect(within(tree).getByRole("treeitem", { name: "home" })).toBeTruthy();
    expect(within(tree).queryByRole("treeitem", { name: "README" })).toBeNull();
    await act(async () => {
      fireEvent.click(within(etc).getByRole("button", { name: "Expand etc" }));
    });
    expect(api.callsTo("files.list").map((c) => c.path)).toEqual(["1:/", "1:/etc"]);
    expect(within(etc).getByRole("treeitem", { name: "ssh" })).toBeTruthy();

    await act(async () => {
      fireEvent.click(within(etc).getByRole("button", { name: "etc" }));
    });
    const table = screen.getByRole("table", { name: "Files in 1:/etc" });
    expect(table.textContent).toContain("hosts");
    expect(table.textContent).toContain("200 B");
  });

  it("restores the ticked files to a folder and zips them, as one selection", async () => {
    const api = setup();
    await renderPane();
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "etc" }));
    });
    const restore = screen.getByRole("button", { name: "Restore" });
    expect(restore.hasAttribute("disabled")).toBe(true);
    fireEvent.click(screen.getByRole("checkbox", { name: "Select hosts" }));
    fireEvent.click(screen.getByRole("checkbox", { name: "Select fstab" }));
    expect(screen.getByText("2 items selected.")).toBeTruthy();
    fireEvent.change(screen.getByLabelText("Restore to folder"), { target: { value: "/tmp/out" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Restore" }));
    });
    expect(api.callsTo("files.extract")).toEqual([
      { sessionId: "fs-1", paths: ["1:/etc/hosts", "1:/etc/fstab"], target: "/tmp/out" },
    ]);
    expect(screen.getByRole("region", { name: /Progress of Run run-5/ })).toBeTruthy();

    fireEvent.change(screen.getByLabelText("Archive format"), { target: { value: "7z" } });
    fireEvent.change(screen.getByLabelText("Archive file"), { target: { value: "/tmp/out.7z" } });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Download as .7z" }));
    });
    expect(api.callsTo("files.archive")).toEqual([
      { sessionId: "fs-1", paths: ["1:/etc/hosts", "1:/etc/fstab"], file: "/tmp/out.7z", format: "7z" },
    ]);
  });

  it("searches file names in the partition and lets a result be ticked", async () => {
    const api = setup();
    await renderPane();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search file names" }), {
      target: { value: "sshd" },
    });
    await act(async () => {
      fireEvent.click(screen.getByRole("button", { name: "Search" }));
    });
    expect(api.callsTo("files.search")).toEqual([{ sessionId: "fs-1", partition: 1, query: "sshd" }]);
    const results = screen.getByRole("table", { name: "Search results for “sshd” in partition 1" });
    expect(results.textContent).toContain("/etc/ssh/sshd_config");
    fireEvent.click(within(results).getByRole("checkbox", { name: "Select sshd_config" }));
    expect(screen.getByText("1 item selected.")).toBeTruthy();
  });

  it("says where to get 7-Zip when it is missing", async () => {
    setup({ found: false, hint: "Install it with `apt install 7zip`" });
    await renderPane();
    expect(screen.getByRole("alert", { name: "7-Zip is missing" }).textContent).toContain("apt install 7zip");
  });

  it("closes the session in main when the pane goes away", async () => {
    const api = setup();
    const view = render(<FileBrowserPane repositoryId="repo-1" restorePointId="rp-1" disk={0} />);
    await act(async () => {
      await Promise.resolve();
    });
    await act(async () => {
      view.unmount();
      await Promise.resolve();
    });
    expect(api.callsTo("files.close")).toEqual([{ sessionId: "fs-1" }]);
  });
});
