import { act, fireEvent, render, screen, within } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { setApi } from "../../api/current";
import { useSourcesStore } from "../../stores/sources-store";
import { useUiStore } from "../../stores/ui-store";
import { FakeApi, ok } from "../../test/fake-api";
import { deepChain, vmDetails, vsphereInventory, vsphereSource } from "../../test/fixtures";
import { InventoryScreen } from "./inventory-screen";

const names = Array.from({ length: 1000 }, (_, i) => `vm-${String(i).padStart(4, "0")}`);
const vms = names.map((name, i) => vmDetails(name, i === 2 ? { chain: deepChain } : {}));

async function renderInventory() {
  setApi(
    new FakeApi({
      "sources.list": () => ok([vsphereSource]),
      "sources.inventory": () => ok(vsphereInventory(vms)),
    }),
  );
  await act(() => useSourcesStore.getState().load());
  render(<InventoryScreen />);
  const tree = screen.getByRole("tree", { name: "Inventory" });
  // Open the cluster and the host: sources and datacenters start open.
  for (const label of ["C1", "esx1"]) {
    fireEvent.click(within(tree).getByText(label));
  }
  return tree;
}

describe("the inventory tree", () => {
  it("shows 1,000 VMs with only the visible rows in the DOM, and scrolls to the last", async () => {
    const tree = await renderInventory();
    const rows = within(tree).getAllByRole("treeitem");
    expect(rows.length).toBeGreaterThan(10);
    expect(rows.length).toBeLessThan(40);
    expect(within(tree).queryByText("vm-0999")).toBeNull();
    tree.scrollTop = (1000 + 4) * 32 - 480;
    fireEvent.scroll(tree);
    expect(within(tree).getByText("vm-0999")).toBeTruthy();
    expect(within(tree).queryByText("vm-0000")).toBeNull();
    expect(within(tree).getAllByRole("treeitem").length).toBeLessThan(40);
  });

  it("gives each VM row its power, Tools, CBT and a chain badge with the reason", async () => {
    const tree = await renderInventory();
    const row = within(tree).getByText("vm-0002").closest("[role=treeitem]");
    if (!(row instanceof HTMLElement)) throw new Error("no row for vm-0002");
    expect(row.getAttribute("aria-level")).toBe("5");
    expect(within(row).getByText("on")).toBeTruthy();
    expect(within(row).getByText("Tools running")).toBeTruthy();
    expect(within(row).getByText("changed-block tracking on")).toBeTruthy();
    const badge = within(row).getByTestId("chain-badge");
    expect(badge.textContent).toContain("⚠ 3 deep");
    expect(badge.getAttribute("title")).toContain("chain of 3 snapshots");
    const described = document.getElementById(badge.getAttribute("aria-describedby") ?? "");
    expect(described?.textContent).toContain("VMware advises no more than 2 or 3");
    const plain = within(tree).getByText("vm-0001").closest("[role=treeitem]");
    expect(plain?.querySelector(".chain-ok")?.textContent).toContain("0 deep");
  });

  it("finds VMs by name, opening their ancestors", async () => {
    const tree = await renderInventory();
    fireEvent.change(screen.getByRole("searchbox", { name: "Search VMs" }), { target: { value: "vm-0777" } });
    const labels = within(tree)
      .getAllByRole("treeitem")
      .map((r) => r.querySelector(".node-label")?.textContent?.replace(/^\w+ /, ""));
    expect(labels).toEqual(["vcenter.lab", "DC1", "C1", "esx1", "vm-0777"]);
  });

  it("moves with the arrow keys and opens a VM's details with Enter", async () => {
    const tree = await renderInventory();
    fireEvent.keyDown(tree, { key: "End" });
    expect(tree.getAttribute("aria-activedescendant")).toContain("vm-0999");
    expect(within(tree).getByText("vm-0999")).toBeTruthy();
    fireEvent.keyDown(tree, { key: "ArrowUp" });
    fireEvent.keyDown(tree, { key: "Enter" });
    expect(useUiStore.getState().selectedVm).toBe("src-vc|DC1/vm/vm-0998");
    expect(screen.getByRole("heading", { name: "vm-0998" })).toBeTruthy();
    fireEvent.keyDown(tree, { key: " " });
    expect(useUiStore.getState().checked["src-vc|DC1/vm/vm-0998"]).toBe(true);
    fireEvent.keyDown(tree, { key: "Home" });
    fireEvent.keyDown(tree, { key: "ArrowLeft" });
    expect(within(tree).getAllByRole("treeitem")).toHaveLength(1);
    expect(within(tree).getByRole("treeitem").getAttribute("aria-expanded")).toBe("false");
  });
});
