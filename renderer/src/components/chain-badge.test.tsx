import { render, screen } from "@testing-library/react";
import { describe, expect, it } from "vitest";
import { chainFromHealth, chainFromLayers } from "../lib/chain";
import { ChainBadge } from "./chain-badge";

function renderBadge(chain: Parameters<typeof ChainBadge>[0]["chain"]) {
  render(<ChainBadge chain={chain} id="vm1" />);
  const badge = screen.getByTestId("chain-badge");
  const reason = document.getElementById(badge.getAttribute("aria-describedby") ?? "")?.textContent ?? "";
  return { badge, reason };
}

describe("the chain-depth badge", () => {
  it("stays plain below 3 snapshots", () => {
    const { badge } = renderBadge(chainFromLayers(3));
    expect(badge.className).toContain("chain-ok");
    expect(badge.textContent).toContain("2 deep");
  });

  it("warns from 3 deep, with the reason as tooltip and description", () => {
    const { badge, reason } = renderBadge(chainFromLayers(4));
    expect(badge.className).toContain("chain-warning");
    expect(badge.textContent).toContain("⚠ 3 deep");
    expect(reason).toContain("chain of 3 snapshots");
    expect(badge.getAttribute("title")).toBe(reason);
  });

  it("says blocked at 31 deep, and only a warning at 30", () => {
    expect(renderBadge(chainFromLayers(31)).badge.className).toContain("chain-warning");
    document.body.innerHTML = "";
    const { badge, reason } = renderBadge(chainFromLayers(32));
    expect(badge.className).toContain("chain-blocked");
    expect(badge.textContent).toContain("blocked · 31 deep");
    expect(reason).toContain("Backups are blocked");
  });

  it("shows main's verdict for a vSphere VM whose only snapshot is older than 72 hours", () => {
    const message =
      'Snapshot "before-upgrade" is 5 days old. A snapshot\'s delta disk grows with every write.';
    const { badge, reason } = renderBadge(
      chainFromHealth({
        status: "warning",
        depth: 1,
        snapshotCount: 1,
        oldest: { name: "before-upgrade", ageMs: 5 * 24 * 3600_000 },
        warnings: [{ kind: "old-snapshots", message, snapshots: ["before-upgrade"] }],
        summary: "1 snapshot, chain depth 1, oldest 5 days: warning",
      }),
    );
    expect(badge.textContent).toContain("⚠ 1 deep");
    expect(reason).toBe(message);
    expect(badge.getAttribute("title")).toBe(message);
  });
});
